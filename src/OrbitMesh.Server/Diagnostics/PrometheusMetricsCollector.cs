using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrbitMesh.Server.Diagnostics;

/// <summary>
/// Aggregates the measurements of the instruments it is told to include, through a
/// <see cref="MeterListener"/>, and writes them in the Prometheus text exposition format 0.0.4.
/// </summary>
/// <remarks>
/// <para>
/// Counters and observable counters become <c>counter</c> families whose name ends in <c>_total</c>
/// (the name on the <c>HELP</c> and <c>TYPE</c> lines is the sample name, as in the 0.0.4 format);
/// up-down counters, observable up-down counters, gauges and observable gauges become <c>gauge</c>;
/// histograms become <c>histogram</c> with cumulative <c>_bucket{le}</c> series (the instrument's advised
/// boundaries, else defaults) ending in <c>le="+Inf"</c>, <c>_sum</c> and <c>_count</c>. Names follow
/// OpenTelemetry's Prometheus mapping; see <see cref="MetricName"/> and <see cref="RenderLabels"/>.
/// </para>
/// <para>
/// Synchronous measurements are aggregated as they arrive, without locks: the series of a tag set is
/// found through a dictionary keyed by the tags as recorded (no allocation once the series exists), and
/// counts and sums are updated with interlocked operations. Each instrument keeps at most
/// <see cref="MaxSeriesPerInstrument"/> series; measurements with further tag sets go to one series
/// labelled <c>otel_metric_overflow="true"</c>, as OpenTelemetry's cardinality limit does.
/// </para>
/// <para>
/// Observable instruments are observed during <see cref="Write"/>, one at a time through a second
/// listener, so a callback that throws leaves only its own instrument out of that scrape.
/// </para>
/// <para>
/// When several instruments map to one family name (they differ in kind, numeric type, unit or
/// description, since a meter returns the same instrument for an identical definition), they are
/// merged if they have the same Prometheus type: one <c>HELP</c> (the first non-empty description) and
/// one <c>TYPE</c>, and for a label set both report, the instrument published first wins. An instrument
/// whose type differs from the family's, or whose sample names would fall inside another family (a gauge
/// <c>x_count</c> beside a histogram <c>x</c>), is left out, following OpenTelemetry's rule that conflicting
/// <c>TYPE</c>s drop the whole metric. Conflicts are settled in publication order, so a scrape is stable.
/// </para>
/// </remarks>
internal sealed partial class PrometheusMetricsCollector : IDisposable
{
    /// <summary>The content type of the exposition.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The series an instrument keeps before further tag sets share the overflow series (OpenTelemetry's default limit).</summary>
    internal const int MaxSeriesPerInstrument = 2000;

    private readonly Func<Instrument, bool> _include;
    private readonly MeterListener _listener;
    private readonly MeterListener _observer;
    private readonly ConcurrentDictionary<Instrument, Aggregator> _aggregators = new();
    private readonly Lock _scrapeLock = new();
    private long _published;
    private volatile bool _disposed;

    /// <summary>Starts listening to every instrument, published now or later, for which <paramref name="include"/> is true.</summary>
    public PrometheusMetricsCollector(Func<Instrument, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        _include = include;

        // Observable instruments are observed through this listener only, one instrument at a time.
        _observer = new MeterListener();
        _observer.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<short>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<int>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<long>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<float>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<double>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe(value, tags));
        _observer.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => (state as ObservableAggregator)?.Observe((double)value, tags));

        // This one receives the synchronous measurements (the hot path) and tells when an instrument's meter is disposed.
        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => (state as Aggregator)?.Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => (state as Aggregator)?.Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>
    /// Observes the observable instruments and writes every family, sorted by name, each line ending
    /// in <c>\n</c>. Safe to call from several threads (scrapes are serialized); after
    /// <see cref="Dispose"/> it writes nothing.
    /// </summary>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        List<Family> families;
        lock (_scrapeLock)
        {
            if (_disposed)
            {
                return;
            }

            var aggregators = _aggregators.Values.ToArray();
            Array.Sort(aggregators, static (a, b) => a.Sequence.CompareTo(b.Sequence));
            foreach (var aggregator in aggregators)
            {
                if (aggregator is ObservableAggregator observable)
                {
                    Observe(observable);
                }
            }

            families = Assemble(aggregators);
        }

        foreach (var family in families)
        {
            family.Write(writer);
        }
    }

    /// <summary>Stops listening; the instruments are no longer reported.</summary>
    public void Dispose()
    {
        lock (_scrapeLock)
        {
            _disposed = true;
            _listener.Dispose();
            _observer.Dispose();
            _aggregators.Clear();
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (_disposed || !_include(instrument))
        {
            return;
        }

        var aggregator = Aggregator.Create(instrument, Interlocked.Increment(ref _published));
        if (aggregator is null)
        {
            return; // an instrument kind this collector does not know
        }

        // Registered before it is enabled: if the meter is disposed in between, enabling reports
        // MeasurementsCompleted at once and the entry is removed again.
        _aggregators[instrument] = aggregator;
        listener.EnableMeasurementEvents(instrument, aggregator);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        // Only the aggregator this notification is about (should an instrument be enabled twice, the
        // first state is completed while the second is registered).
        if (state is Aggregator aggregator)
        {
            _aggregators.TryRemove(new KeyValuePair<Instrument, Aggregator>(instrument, aggregator));
        }
    }

    /// <summary>Runs one observable instrument's callbacks; its measurements count only if none of them threw.</summary>
    private void Observe(ObservableAggregator aggregator)
    {
        aggregator.BeginObservation();
        _observer.EnableMeasurementEvents(aggregator.Instrument, aggregator);
        try
        {
            _observer.RecordObservableInstruments();
            aggregator.EndObservation(succeeded: true);
        }
        catch (AggregateException)
        {
            // The listener gathers the callback's exception into an AggregateException. A partial
            // observation could look like a series that vanished, so the instrument is left out of this
            // scrape and comes back with the next one that succeeds.
            aggregator.EndObservation(succeeded: false);
        }
        finally
        {
            _observer.DisableMeasurementEvents(aggregator.Instrument);
        }
    }

    /// <summary>Groups the instruments' points into families (see the remarks on the class for conflicts), sorted by name.</summary>
    private static List<Family> Assemble(Aggregator[] aggregatorsInPublicationOrder)
    {
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var aggregator in aggregatorsInPublicationOrder)
        {
            var points = aggregator.Collect();
            if (points.Count == 0)
            {
                continue; // nothing measured yet: it claims no name
            }

            if (families.TryGetValue(aggregator.Name, out var family))
            {
                if (family.Type != aggregator.Type)
                {
                    continue;
                }
            }
            else
            {
                var names = SampleNames(aggregator.Name, aggregator.Type);
                if (names.Any(claimed.Contains))
                {
                    continue;
                }

                claimed.UnionWith(names);
                family = new Family(aggregator.Name, aggregator.Type);
                families.Add(family.Name, family);
            }

            family.Add(aggregator.Instrument.Description, points);
        }

        var sorted = families.Values.ToList();
        sorted.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return sorted;
    }

    /// <summary>The names a family occupies: its own and those of its samples.</summary>
    private static string[] SampleNames(string name, MetricType type) => type == MetricType.Histogram
        ? [name, name + "_bucket", name + "_sum", name + "_count"]
        : [name];

    /// <summary>One metric family as written: a HELP line when there is a description, the TYPE line, then its samples by label set.</summary>
    private sealed class Family(string name, MetricType type)
    {
        private readonly List<Point> _points = [];
        private readonly HashSet<string> _labelSets = new(StringComparer.Ordinal);
        private string? _help;

        public string Name => name;

        public MetricType Type => type;

        public void Add(string? description, List<Point> points)
        {
            if (string.IsNullOrEmpty(_help) && !string.IsNullOrEmpty(description))
            {
                _help = description;
            }

            foreach (var point in points)
            {
                if (_labelSets.Add(point.Labels))
                {
                    _points.Add(point);
                }
            }
        }

        public void Write(TextWriter writer)
        {
            _points.Sort(static (a, b) => string.CompareOrdinal(a.Labels, b.Labels));
            if (_help is not null)
            {
                writer.Write("# HELP ");
                writer.Write(name);
                writer.Write(' ');
                writer.Write(EscapeHelp(_help));
                writer.Write('\n');
            }

            writer.Write("# TYPE ");
            writer.Write(name);
            writer.Write(' ');
            writer.Write(TypeName(type));
            writer.Write('\n');
            foreach (var point in _points)
            {
                point.Write(writer, name);
            }
        }
    }
}
