using System.Globalization;
using System.Text;

namespace OrbitMesh.Server.Diagnostics;

// Names, labels and values in the text format, after OpenTelemetry's "Prometheus and OpenMetrics
// Compatibility" specification (OTLP metric points to Prometheus).
internal sealed partial class PrometheusMetricsCollector
{
    /// <summary>The label of the series that gathers the tag sets past <see cref="MaxSeriesPerInstrument"/>.</summary>
    internal const string OverflowLabels = "otel_metric_overflow=\"true\"";

    internal enum MetricType
    {
        Counter,
        Gauge,
        Histogram,
    }

    internal static string TypeName(MetricType type) => type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        _ => "histogram",
    };

    /// <summary>
    /// The family name of an instrument: the name sanitized (<see cref="SanitizeMetricName"/>), then the
    /// unit's suffix (<see cref="UnitSuffix"/>) unless the name already ends in it, then, for counters,
    /// <c>_total</c> (a name that already ends in <c>_total</c> has it moved after the unit).
    /// </summary>
    internal static string MetricName(string instrumentName, string? unit, MetricType type)
    {
        const string Total = "_total";
        var name = SanitizeMetricName(instrumentName);
        var counter = type == MetricType.Counter;
        if (counter && name.Length > Total.Length && name.EndsWith(Total, StringComparison.Ordinal))
        {
            name = name[..^Total.Length];
        }

        var suffix = UnitSuffix(unit, type);
        if (suffix.Length > 0 && name != suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        if (counter)
        {
            name += Total;
        }

        return SanitizeMetricName(name);
    }

    /// <summary>
    /// The unit as a name suffix: annotations in braces are dropped (<c>{agent}</c> adds nothing),
    /// UCUM abbreviations become words (<c>s</c> → <c>seconds</c>, <c>ms</c> → <c>milliseconds</c>,
    /// <c>By</c> → <c>bytes</c>, ...), <c>a/b</c> becomes <c>a_per_b</c> with a singular time unit
    /// (<c>By/s</c> → <c>bytes_per_second</c>, <c>{request}/s</c> → <c>per_second</c>), <c>1</c> becomes
    /// <c>ratio</c> for gauges and nothing otherwise; other units are kept, sanitized.
    /// </summary>
    internal static string UnitSuffix(string? unit, MetricType type)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return string.Empty;
        }

        var plain = RemoveAnnotations(unit).Trim();
        if (plain.Length == 0)
        {
            return string.Empty;
        }

        if (plain == "1")
        {
            return type == MetricType.Gauge ? "ratio" : string.Empty;
        }

        string words;
        var slash = plain.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && slash < plain.Length - 1)
        {
            var numerator = plain[..slash].Trim();
            var per = "per_" + PerUnitWord(plain[(slash + 1)..].Trim());
            words = numerator is "" or "1" ? per : UnitWord(numerator) + "_" + per;
        }
        else
        {
            words = UnitWord(plain);
        }

        return SanitizeMetricName(words).Trim('_');
    }

    private static string RemoveAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit;
        }

        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string UnitWord(string unit) => unit switch
    {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tebibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "bit" => "bits",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "%" => "percent",
        _ => unit,
    };

    private static string PerUnitWord(string unit) => unit switch
    {
        "s" => "second",
        "min" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" or "wk" => "week",
        "mo" => "month",
        "a" or "y" => "year",
        _ => UnitWord(unit),
    };

    /// <summary>
    /// A valid metric name: every character outside <c>[a-zA-Z0-9_:]</c> becomes <c>_</c>, runs of
    /// <c>_</c> become one, and a leading digit (or an empty name) gets a <c>_</c> before it.
    /// </summary>
    internal static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>
    /// A valid label name: as <see cref="SanitizeMetricName"/> but without <c>:</c>. Since runs of
    /// <c>_</c> collapse, a result never starts with the reserved <c>__</c>.
    /// </summary>
    internal static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    private static string Sanitize(string? name, bool allowColon)
    {
        name ??= string.Empty;
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
            var next = valid ? c : '_';
            if (next == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(next);
        }

        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    /// <summary>
    /// The tags as labels, without braces: names sanitized (<see cref="SanitizeLabelName"/>; on a
    /// histogram a tag named <c>le</c> becomes <c>_le</c>), values converted with the invariant culture and
    /// escaped, sorted by name so that the order of the tags does not matter. Tags whose names sanitize
    /// to the same label are joined into one value with <c>;</c>, in the ordinal order of their keys.
    /// "" for no tags.
    /// </summary>
    internal static string RenderLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags, bool histogram)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }

        var labels = new (string Name, string Key, string Value)[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            var key = tags[i].Key ?? string.Empty;
            var name = SanitizeLabelName(key);
            if (histogram && name == "le")
            {
                name = "_le";
            }

            labels[i] = (name, key, LabelValue(tags[i].Value));
        }

        Array.Sort(labels, static (a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            if (byName != 0)
            {
                return byName;
            }

            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
        });

        var builder = new StringBuilder();
        for (var i = 0; i < labels.Length; i++)
        {
            if (i > 0 && labels[i].Name == labels[i - 1].Name)
            {
                builder.Append(';');
            }
            else
            {
                if (i > 0)
                {
                    builder.Append("\",");
                }

                builder.Append(labels[i].Name).Append("=\"");
            }

            AppendEscaped(builder, labels[i].Value, quote: true);
        }

        return builder.Append('"').ToString();
    }

    private static string LabelValue(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>A sample value: <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>, else the shortest invariant text that round-trips.</summary>
    internal static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>HELP text: <c>\</c> and line breaks escaped (<c>\\</c>, <c>\n</c>; a carriage return counts as a line break).</summary>
    internal static string EscapeHelp(string text)
    {
        if (text.AsSpan().IndexOfAny('\\', '\n', '\r') < 0)
        {
            return text;
        }

        return AppendEscaped(new StringBuilder(text.Length + 8), text, quote: false).ToString();
    }

    private static StringBuilder AppendEscaped(StringBuilder builder, string text, bool quote)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '"' when quote:
                    builder.Append("\\\"");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\n");
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++; // CR LF is one line break
                    }

                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder;
    }
}
