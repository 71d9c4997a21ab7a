using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace OrbitMesh.Server.Diagnostics;

// Per-instrument aggregation. Record is the hot path: it runs on the recording thread for every
// measurement, so it takes no lock and, once a tag set has its series, allocates nothing.
internal sealed partial class PrometheusMetricsCollector
{
    /// <summary>OpenTelemetry's default explicit bucket boundaries (suited to milliseconds and plain counts).</summary>
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>Default boundaries for histograms in seconds: 0.5 ms to 10 s.</summary>
    private static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static void AddDouble(ref double location, double value)
    {
        var current = Volatile.Read(ref location);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref location, current + value, current);

            // Compared as bits: once the sum is NaN, NaN != NaN would never let the loop end.
            if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>One series as written: its labels (without <c>le</c>) and its sample lines.</summary>
    private abstract class Point(string labels)
    {
        public string Labels => labels;

        public abstract void Write(TextWriter writer, string name);

        protected static void WriteSample(TextWriter writer, string name, string suffix, string labels, string? le, string value)
        {
            writer.Write(name);
            writer.Write(suffix);
            if (labels.Length > 0 || le is not null)
            {
                writer.Write('{');
                writer.Write(labels);
                if (le is not null)
                {
                    writer.Write(labels.Length > 0 ? ",le=\"" : "le=\"");
                    writer.Write(le);
                    writer.Write('"');
                }

                writer.Write('}');
            }

            writer.Write(' ');
            writer.Write(value);
            writer.Write('\n');
        }
    }

    private sealed class ValuePoint(string labels, string value) : Point(labels)
    {
        public override void Write(TextWriter writer, string name) => WriteSample(writer, name, string.Empty, Labels, le: null, value);
    }

    private sealed class HistogramPoint(string labels, double[] bounds, long[] counts, double sum) : Point(labels)
    {
        public override void Write(TextWriter writer, string name)
        {
            long cumulative = 0;
            for (var i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                WriteSample(writer, name, "_bucket", Labels, FormatValue(bounds[i]), cumulative.ToString(CultureInfo.InvariantCulture));
            }

            cumulative += counts[^1];
            var count = cumulative.ToString(CultureInfo.InvariantCulture);
            WriteSample(writer, name, "_bucket", Labels, "+Inf", count);
            WriteSample(writer, name, "_sum", Labels, le: null, FormatValue(sum));
            WriteSample(writer, name, "_count", Labels, le: null, count);
        }
    }

    private abstract class Aggregator(Instrument instrument, long sequence, MetricType type)
    {
        public Instrument Instrument => instrument;

        /// <summary>The order of publication, which settles name conflicts.</summary>
        public long Sequence => sequence;

        public MetricType Type => type;

        public string Name { get; } = MetricName(instrument.Name, instrument.Unit, type);

        public static Aggregator? Create(Instrument instrument, long sequence)
        {
            var runtimeType = instrument.GetType();
            if (!runtimeType.IsGenericType)
            {
                return null;
            }

            var kind = runtimeType.GetGenericTypeDefinition();
            return kind == typeof(Counter<>) ? new SumAggregator(instrument, sequence, MetricType.Counter)
                : kind == typeof(UpDownCounter<>) ? new SumAggregator(instrument, sequence, MetricType.Gauge)
                : kind == typeof(Histogram<>) ? new HistogramAggregator(instrument, sequence)
                : kind == typeof(Gauge<>) ? new LastValueAggregator(instrument, sequence)
                : kind == typeof(ObservableCounter<>) ? new ObservableAggregator(instrument, sequence, MetricType.Counter)
                : kind == typeof(ObservableUpDownCounter<>) || kind == typeof(ObservableGauge<>) ? new ObservableAggregator(instrument, sequence, MetricType.Gauge)
                : null;
        }

        /// <summary>A synchronous measurement of an integral instrument.</summary>
        public virtual void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
        }

        /// <summary>A synchronous measurement of a floating-point instrument.</summary>
        public virtual void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
        }

        /// <summary>The current series, read without stopping the recording threads.</summary>
        public abstract List<Point> Collect();
    }

    /// <summary>Counters (monotonic: negative and NaN increments are ignored) and up-down counters.</summary>
    private sealed class SumAggregator(Instrument instrument, long sequence, MetricType type) : Aggregator(instrument, sequence, type)
    {
        private readonly SeriesTable<Cell> _series = new(static () => new Cell(), histogram: false);

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (value >= 0 || Type != MetricType.Counter)
            {
                Interlocked.Add(ref _series.Get(tags).Integral, value);
            }
        }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!double.IsNaN(value) && (value >= 0 || Type != MetricType.Counter))
            {
                AddDouble(ref _series.Get(tags).Floating, value);
            }
        }

        public override List<Point> Collect()
        {
            var points = new List<Point>();
            foreach (var (labels, cell) in _series.Snapshot())
            {
                // An instrument records either integers or floating-point values, so one of the two is zero;
                // integers are written exactly, even past 2^53.
                var floating = Volatile.Read(ref cell.Floating);
                var integral = Interlocked.Read(ref cell.Integral);
                points.Add(new ValuePoint(labels, floating == 0 ? integral.ToString(CultureInfo.InvariantCulture) : FormatValue(floating + integral)));
            }

            return points;
        }

        internal sealed class Cell
        {
            public long Integral;
            public double Floating;
        }
    }

    /// <summary><see cref="Gauge{T}"/>: the last value recorded per tag set.</summary>
    private sealed class LastValueAggregator(Instrument instrument, long sequence) : Aggregator(instrument, sequence, MetricType.Gauge)
    {
        private readonly SeriesTable<Cell> _series = new(static () => new Cell(), histogram: false);

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Volatile.Write(ref _series.Get(tags).Value, value);

        public override List<Point> Collect()
        {
            var points = new List<Point>();
            foreach (var (labels, cell) in _series.Snapshot())
            {
                points.Add(new ValuePoint(labels, FormatValue(Volatile.Read(ref cell.Value))));
            }

            return points;
        }

        internal sealed class Cell
        {
            public double Value;
        }
    }

    /// <summary>Explicit-bucket histograms: one counter per bucket (the last one past every bound) and a sum; NaN is ignored.</summary>
    private sealed class HistogramAggregator : Aggregator
    {
        private readonly double[] _bounds;
        private readonly SeriesTable<Cell> _series;

        public HistogramAggregator(Instrument instrument, long sequence)
            : base(instrument, sequence, MetricType.Histogram)
        {
            _bounds = AdvisedBounds(instrument) ?? (instrument.Unit == "s" ? DefaultSecondsBuckets : DefaultBuckets);
            var buckets = _bounds.Length + 1;
            _series = new SeriesTable<Cell>(() => new Cell(buckets), histogram: true);
        }

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (double.IsNaN(value))
            {
                return;
            }

            var cell = _series.Get(tags);
            var index = Array.BinarySearch(_bounds, value);
            Interlocked.Increment(ref cell.Counts[index >= 0 ? index : ~index]); // the first bound >= value, else the +Inf bucket
            AddDouble(ref cell.Sum, value);
        }

        public override List<Point> Collect()
        {
            var points = new List<Point>();
            foreach (var (labels, cell) in _series.Snapshot())
            {
                // The buckets are read first and _count is derived from them, so a scrape taken while
                // measurements arrive is still consistent (the +Inf bucket equals _count).
                var counts = new long[cell.Counts.Length];
                for (var i = 0; i < counts.Length; i++)
                {
                    counts[i] = Interlocked.Read(ref cell.Counts[i]);
                }

                points.Add(new HistogramPoint(labels, _bounds, counts, Volatile.Read(ref cell.Sum)));
            }

            return points;
        }

        /// <summary>
        /// <see cref="InstrumentAdvice{T}.HistogramBucketBoundaries"/> as doubles; null without advice. An
        /// empty list is kept: the histogram then has only the <c>+Inf</c> bucket, as the advice means.
        /// </summary>
        private static double[]? AdvisedBounds(Instrument instrument)
        {
            var bounds = instrument switch
            {
                Instrument<double> i => i.Advice?.HistogramBucketBoundaries?.ToArray(),
                Instrument<float> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Instrument<long> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Instrument<int> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Instrument<short> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Instrument<byte> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                Instrument<decimal> i => i.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
                _ => null,
            };

            // The advice is sorted and distinct already; converting to double can merge neighbours.
            return bounds is null ? null : [.. bounds.Where(double.IsFinite).Distinct().Order()];
        }

        internal sealed class Cell(int buckets)
        {
            public readonly long[] Counts = new long[buckets];
            public double Sum;
        }
    }

    /// <summary>
    /// Observable instruments: the values their callbacks report during a scrape (cumulative for
    /// counters; the last one wins when a tag set is reported twice). Observation happens on the scrape
    /// thread under the scrape lock.
    /// </summary>
    private sealed class ObservableAggregator(Instrument instrument, long sequence, MetricType type) : Aggregator(instrument, sequence, type)
    {
        private Dictionary<string, string>? _observing;
        private Dictionary<string, string> _observed = new(StringComparer.Ordinal);

        public void BeginObservation() => _observing = new Dictionary<string, string>(StringComparer.Ordinal);

        public void Observe(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_observing is not null && (value >= 0 || Type != MetricType.Counter))
            {
                _observing[RenderLabels(tags, histogram: false)] = value.ToString(CultureInfo.InvariantCulture);
            }
        }

        public void Observe(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_observing is not null && (Type != MetricType.Counter || value >= 0))
            {
                _observing[RenderLabels(tags, histogram: false)] = FormatValue(value);
            }
        }

        /// <summary>Keeps what was observed; after a failure, nothing (the instrument is left out until a callback succeeds).</summary>
        public void EndObservation(bool succeeded)
        {
            _observed = succeeded && _observing is not null ? _observing : new Dictionary<string, string>(StringComparer.Ordinal);
            _observing = null;
        }

        public override List<Point> Collect()
        {
            var points = new List<Point>(_observed.Count);
            foreach (var (labels, value) in _observed)
            {
                points.Add(new ValuePoint(labels, value));
            }

            return points;
        }
    }

    /// <summary>
    /// The series of one instrument. A measurement finds its series through <c>_byTags</c>, keyed by the
    /// tags as recorded and looked up with the span itself (no allocation); on a miss the tags are
    /// rendered into their canonical label text, which keys <c>_byLabels</c>, so the same tags in another
    /// order, or values that print alike, share one series and no series is written twice.
    /// </summary>
    private sealed class SeriesTable<TCell>
        where TCell : class
    {
        private readonly Func<TCell> _create;
        private readonly bool _histogram;
        private readonly ConcurrentDictionary<string, TCell> _byLabels = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<TagKey, TCell> _byTags = new(TagKeyComparer.Instance);
        private readonly ConcurrentDictionary<TagKey, TCell>.AlternateLookup<TagSpan> _lookup;
        private TCell? _untagged;
        private TCell? _overflow;
        private int _seriesCount;
        private int _cachedTagKeys;

        public SeriesTable(Func<TCell> create, bool histogram)
        {
            _create = create;
            _histogram = histogram;
            _lookup = _byTags.GetAlternateLookup<TagSpan>();
        }

        public TCell Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.IsEmpty)
            {
                return Volatile.Read(ref _untagged) ?? GetUntagged();
            }

            return _lookup.TryGetValue(new TagSpan(tags), out var cell) ? cell : GetSlow(tags);
        }

        /// <summary>The series and their label text; the overflow series last.</summary>
        public IEnumerable<(string Labels, TCell Cell)> Snapshot()
        {
            foreach (var (labels, cell) in _byLabels)
            {
                yield return (labels, cell);
            }

            if (Volatile.Read(ref _overflow) is { } overflow)
            {
                yield return (OverflowLabels, overflow);
            }
        }

        private TCell GetUntagged()
        {
            var cell = GetOrAddSeries(string.Empty);
            if (!ReferenceEquals(cell, _overflow))
            {
                Volatile.Write(ref _untagged, cell);
            }

            return cell;
        }

        private TCell GetSlow(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = GetOrAddSeries(RenderLabels(tags, _histogram));

            // Remember this spelling of the tags, within a bound (tags rarely come in more than one order).
            // The overflow series is not remembered, so tag sets past the limit do not grow the table.
            if (!ReferenceEquals(cell, _overflow)
                && Volatile.Read(ref _cachedTagKeys) < 2 * MaxSeriesPerInstrument
                && _byTags.TryAdd(new TagKey(tags.ToArray()), cell))
            {
                Interlocked.Increment(ref _cachedTagKeys);
            }

            return cell;
        }

        private TCell GetOrAddSeries(string labels)
        {
            if (_byLabels.TryGetValue(labels, out var existing))
            {
                return existing;
            }

            if (Interlocked.Increment(ref _seriesCount) > MaxSeriesPerInstrument)
            {
                Interlocked.Decrement(ref _seriesCount);
                return LazyInitializer.EnsureInitialized(ref _overflow, _create);
            }

            var created = _create();
            if (_byLabels.TryAdd(labels, created))
            {
                return created;
            }

            Interlocked.Decrement(ref _seriesCount); // another thread added it first; series are never removed
            return _byLabels[labels];
        }
    }

    /// <summary>Tags as recorded (order kept), with their hash computed once.</summary>
    private sealed class TagKey(KeyValuePair<string, object?>[] tags)
    {
        public KeyValuePair<string, object?>[] Tags => tags;

        public int Hash { get; } = HashOf(tags);

        public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = default(HashCode);
            foreach (var tag in tags)
            {
                hash.Add(tag.Key);
                hash.Add(tag.Value);
            }

            return hash.ToHashCode();
        }
    }

    /// <summary>The tags of a measurement, to look a <see cref="TagKey"/> up without copying them.</summary>
    private readonly ref struct TagSpan
    {
        public TagSpan(ReadOnlySpan<KeyValuePair<string, object?>> tags) => Tags = tags;

        public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; }
    }

    private sealed class TagKeyComparer : IEqualityComparer<TagKey>, IAlternateEqualityComparer<TagSpan, TagKey>
    {
        public static readonly TagKeyComparer Instance = new();

        public bool Equals(TagKey? x, TagKey? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && Same(x.Tags, y.Tags));

        public int GetHashCode(TagKey obj) => obj.Hash;

        public bool Equals(TagSpan alternate, TagKey other) => Same(alternate.Tags, other.Tags);

        public int GetHashCode(TagSpan alternate) => TagKey.HashOf(alternate.Tags);

        public TagKey Create(TagSpan alternate) => new(alternate.Tags.ToArray());

        private static bool Same(ReadOnlySpan<KeyValuePair<string, object?>> a, ReadOnlySpan<KeyValuePair<string, object?>> b)
        {
            if (a.Length != b.Length)
            {
                return false;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (!string.Equals(a[i].Key, b[i].Key, StringComparison.Ordinal) || !object.Equals(a[i].Value, b[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
