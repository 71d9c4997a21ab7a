using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OrbitMesh.Server.Diagnostics;

/// <summary>
/// Aggregates the measurements of the instruments it is told to include, through a
/// <see cref="MeterListener"/>, and writes them in the Prometheus text exposition format (0.0.4).
/// Counters become <c>counter</c> families ending in <c>_total</c>; up-down counters and gauges become
/// <c>gauge</c>; histograms become <c>histogram</c> with cumulative buckets (the instrument's advised
/// boundaries, else defaults), <c>_sum</c> and <c>_count</c>. Names follow OpenTelemetry's Prometheus
/// mapping: invalid characters become <c>_</c> and the unit is appended (<c>s</c> → <c>_seconds</c>,
/// <c>By</c> → <c>_bytes</c>; annotations like <c>{job}</c> add nothing). When two instruments map to
/// the same family name, the first one published is written and the others are skipped.
/// </summary>
internal sealed class PrometheusMetricsCollector : IDisposable
{
    /// <summary>The content type of the exposition.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    private static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _states = new();
    private readonly Lock _scrapeLock = new();

    public PrometheusMetricsCollector(Func<Instrument, bool> include)
    {
        ArgumentNullException.ThrowIfNull(include);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (include(instrument))
                {
                    var state = InstrumentState.Create(instrument);
                    _states[instrument] = state;
                    listener.EnableMeasurementEvents(instrument, state);
                }
            },
            MeasurementsCompleted = (instrument, _) => _states.TryRemove(instrument, out InstrumentState? _),
        };
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => ((InstrumentState)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => ((InstrumentState)s!).Record((double)v, t));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments and writes every family.</summary>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        List<InstrumentState> states;
        lock (_scrapeLock)
        {
            foreach (var state in _states.Values)
            {
                state.BeginObservation();
            }

            try
            {
                _listener.RecordObservableInstruments();
            }
#pragma warning disable CA1031 // A failing callback must not break the whole scrape.
            catch (Exception)
#pragma warning restore CA1031
            {
                // The listener observes every instrument and throws the callbacks' exceptions together at
                // the end; a failed instrument has no fresh values and is left out of this scrape.
            }

            states = [.. _states.Values.OrderBy(s => s.FamilyName, StringComparer.Ordinal)];
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            if (written.Add(state.FamilyName))
            {
                state.Write(writer);
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    // ---- names and values -----------------------------------------------------------------------

    internal static string FamilyName(Instrument instrument, string type)
    {
        var name = Sanitize(instrument.Name);
        var unit = UnitSuffix(instrument.Unit, type);
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return name;
    }

    private static string UnitSuffix(string? unit, string type)
    {
        if (string.IsNullOrWhiteSpace(unit) || unit.StartsWith('{'))
        {
            return string.Empty;
        }

        return unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "us" => "microseconds",
            "ns" => "nanoseconds",
            "min" => "minutes",
            "h" => "hours",
            "By" => "bytes",
            "KiBy" => "kibibytes",
            "MiBy" => "mebibytes",
            "%" => "percent",
            "1" => type == "gauge" ? "ratio" : string.Empty,
            _ => Sanitize(unit).Trim('_'),
        };
    }

    /// <summary>Replaces every character outside <c>[a-zA-Z0-9_:]</c> by <c>_</c>; a leading digit gets a <c>_</c> before it.</summary>
    internal static string Sanitize(string name, bool allowColon = true)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
            builder.Append(valid ? c : '_');
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    internal static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>The tags as Prometheus labels (sorted by name, sanitized, escaped), without braces; "" for none.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return string.Empty;
        }

        var pairs = new List<(string Name, string Value)>(tags.Length);
        foreach (var tag in tags)
        {
            var name = Sanitize(tag.Key, allowColon: false);
            if (name.StartsWith("__", StringComparison.Ordinal))
            {
                name = "tag" + name; // names starting with __ are reserved by Prometheus
            }

            pairs.Add((name, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty));
        }

        pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var builder = new StringBuilder();
        string? previous = null;
        foreach (var (name, value) in pairs)
        {
            if (name == previous)
            {
                continue; // two tags that sanitize to one label: the first wins
            }

            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(name).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
            previous = name;
        }

        return builder.ToString();
    }

    private static void AddDouble(ref double location, double value)
    {
        double current, updated;
        do
        {
            current = Volatile.Read(ref location);
            updated = current + value;
        }
        while (Interlocked.CompareExchange(ref location, updated, current) != current);
    }

    // ---- per-instrument aggregation --------------------------------------------------------------

    private abstract class InstrumentState(Instrument instrument, string type)
    {
        // Series by their rendered label set; the key of a measurement without tags is "".
        protected readonly ConcurrentDictionary<string, object> Series = new(StringComparer.Ordinal);

        public Instrument Instrument { get; } = instrument;

        public string Type { get; } = type;

        public string FamilyName { get; } = PrometheusMetricsCollector.FamilyName(instrument, type);

        public static InstrumentState Create(Instrument instrument)
        {
            var kind = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
            if (kind == typeof(Histogram<>))
            {
                return new HistogramState(instrument);
            }

            if (kind == typeof(Counter<>))
            {
                return new SumState(instrument, "counter", observed: false);
            }

            if (kind == typeof(ObservableCounter<>))
            {
                return new SumState(instrument, "counter", observed: true);
            }

            if (kind == typeof(UpDownCounter<>))
            {
                return new SumState(instrument, "gauge", observed: false);
            }

            // ObservableUpDownCounter, ObservableGauge, Gauge: the last value.
            return new SumState(instrument, "gauge", observed: true);
        }

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        /// <summary>Before observable callbacks run: forget the values observed last time (a series no longer reported disappears).</summary>
        public virtual void BeginObservation()
        {
        }

        public void Write(TextWriter writer)
        {
            var snapshot = Series.ToArray();
            if (snapshot.Length == 0)
            {
                return;
            }

            Array.Sort(snapshot, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            if (!string.IsNullOrEmpty(Instrument.Description))
            {
                writer.Write($"# HELP {FamilyName} {EscapeHelp(Instrument.Description)}\n");
            }

            writer.Write($"# TYPE {FamilyName} {Type}\n");
            foreach (var (labels, series) in snapshot)
            {
                WriteSeries(writer, labels, series);
            }
        }

        protected abstract void WriteSeries(TextWriter writer, string labels, object series);

        protected static string Braces(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";
    }

    private sealed class SumState(Instrument instrument, string type, bool observed) : InstrumentState(instrument, type)
    {
        private readonly string _sampleName = type == "counter" && !instrument.Name.EndsWith("_total", StringComparison.Ordinal)
            ? PrometheusMetricsCollector.FamilyName(instrument, type) + "_total"
            : PrometheusMetricsCollector.FamilyName(instrument, type);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = (Cell)Series.GetOrAdd(Labels(tags), static _ => new Cell());
            if (observed)
            {
                Volatile.Write(ref cell.Value, value);
            }
            else
            {
                AddDouble(ref cell.Value, value);
            }
        }

        public override void BeginObservation()
        {
            if (observed)
            {
                Series.Clear();
            }
        }

        protected override void WriteSeries(TextWriter writer, string labels, object series) =>
            writer.Write($"{_sampleName}{Braces(labels)} {FormatValue(Volatile.Read(ref ((Cell)series).Value))}\n");

        private sealed class Cell
        {
            public double Value;
        }
    }

    private sealed class HistogramState : InstrumentState
    {
        private readonly double[] _bounds;

        public HistogramState(Instrument instrument)
            : base(instrument, "histogram")
        {
            var advised = instrument switch
            {
                Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
                Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<short> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<byte> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Histogram<decimal> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                _ => null,
            };
            _bounds = advised is { Length: > 0 }
                ? [.. advised.Where(b => !double.IsNaN(b) && !double.IsInfinity(b)).Distinct().Order()]
                : instrument.Unit == "s" ? DefaultSecondsBuckets : DefaultBuckets;
        }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = (Cell)Series.GetOrAdd(Labels(tags), _ => new Cell(_bounds.Length + 1));
            var index = Array.BinarySearch(_bounds, value);
            index = index >= 0 ? index : ~index; // the first bound >= value; past the end: the +Inf bucket
            Interlocked.Increment(ref cell.Buckets[index]);
            AddDouble(ref cell.Sum, value);
        }

        protected override void WriteSeries(TextWriter writer, string labels, object series)
        {
            var cell = (Cell)series;

            // Read the buckets first and derive the count from them, so the exposition is consistent
            // (cumulative buckets end at _count) even while measurements keep arriving.
            var counts = new long[cell.Buckets.Length];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = Interlocked.Read(ref cell.Buckets[i]);
            }

            var prefix = labels.Length == 0 ? string.Empty : labels + ",";
            long cumulative = 0;
            for (var i = 0; i < _bounds.Length; i++)
            {
                cumulative += counts[i];
                writer.Write($"{FamilyName}_bucket{{{prefix}le=\"{FormatValue(_bounds[i])}\"}} {cumulative.ToString(CultureInfo.InvariantCulture)}\n");
            }

            cumulative += counts[^1];
            writer.Write($"{FamilyName}_bucket{{{prefix}le=\"+Inf\"}} {cumulative.ToString(CultureInfo.InvariantCulture)}\n");
            writer.Write($"{FamilyName}_sum{Braces(labels)} {FormatValue(Volatile.Read(ref cell.Sum))}\n");
            writer.Write($"{FamilyName}_count{Braces(labels)} {cumulative.ToString(CultureInfo.InvariantCulture)}\n");
        }

        private sealed class Cell(int buckets)
        {
            public readonly long[] Buckets = new long[buckets];
            public double Sum;
        }
    }
}
