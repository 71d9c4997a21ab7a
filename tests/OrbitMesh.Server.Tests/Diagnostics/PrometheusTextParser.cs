using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>One sample line: its name, labels, value and optional timestamp.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, long? Timestamp)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;

    /// <summary>The series identity: name and labels sorted by name.</summary>
    public string Series => Name + "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
}

/// <summary>One metric family: its name, type, help text (unescaped) and samples in the order read.</summary>
internal sealed record PrometheusFamily(string Name, string Type, string? Help, IReadOnlyList<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's
/// description. Every line must be a <c># HELP name text</c>, a <c># TYPE name type</c>, another
/// comment, an empty line, or a sample <c>name{label="value",...} value [timestamp]</c> with one space
/// between fields; names must match the metric and label name patterns (no label starting with
/// <c>__</c>), label values and help text may only use the escapes the format defines, values are
/// <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c> or decimal floats, and the text ends with a line feed.
/// Families: the TYPE comes before the samples and once, at most one HELP, the samples of a family
/// are contiguous, no series (name and labels) repeats. Types: a counter's name ends in <c>_total</c>
/// and is the name of its samples (the 0.0.4 convention, as written by the classic client libraries);
/// a gauge's samples carry its name; a histogram has, per label set, <c>_bucket</c> samples with strictly
/// increasing <c>le</c> ending in <c>+Inf</c> and non-decreasing whole counts, one <c>_sum</c> and one
/// <c>_count</c> equal to the <c>+Inf</c> bucket. Stricter than the format where it helps a test: every
/// family must have a TYPE (the collector always writes one), and <c>untyped</c> and <c>summary</c>
/// families are refused because the collector never writes them. Violations throw <see cref="FormatException"/>.
/// </summary>
internal static partial class PrometheusTextParser
{
    private static readonly string[] Types = ["counter", "gauge", "histogram"];

    public static Dictionary<string, PrometheusFamily> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The exposition must end with a line feed.");
        }

        var builders = new Dictionary<string, FamilyBuilder>(StringComparer.Ordinal);
        var order = new List<FamilyBuilder>();
        var series = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        FamilyBuilder? current = null;
        var lines = text.Split('\n');
        for (var index = 0; index < lines.Length - 1; index++)
        {
            var line = lines[index];
            var where = $"line {index + 1} '{line}'";
            if (line.Contains('\r', StringComparison.Ordinal))
            {
                throw new FormatException($"Carriage return at {where}.");
            }

            if (line.Length == 0)
            {
                continue;
            }

            FamilyBuilder family;
            if (line.StartsWith('#'))
            {
                var metadata = MetadataLine().Match(line);
                if (!metadata.Success)
                {
                    if (line.StartsWith("# HELP", StringComparison.Ordinal) || line.StartsWith("# TYPE", StringComparison.Ordinal))
                    {
                        throw new FormatException($"Malformed HELP or TYPE at {where}.");
                    }

                    continue; // an ordinary comment
                }

                var name = metadata.Groups["name"].Value;
                RequireMetricName(name, where);
                family = Enter(name, builders, order, finished, ref current, where);
                if (family.Samples.Count > 0)
                {
                    throw new FormatException($"{metadata.Groups["kind"].Value} for {name} after its samples, at {where}.");
                }

                var rest = metadata.Groups["rest"].Value;
                if (metadata.Groups["kind"].Value == "TYPE")
                {
                    if (!Types.Contains(rest))
                    {
                        throw new FormatException($"Type '{rest}' is not one the collector writes, at {where}.");
                    }

                    if (family.Type is not null)
                    {
                        throw new FormatException($"A second TYPE for {name} at {where}.");
                    }

                    family.Type = rest;
                }
                else
                {
                    if (family.Help is not null)
                    {
                        throw new FormatException($"A second HELP for {name} at {where}.");
                    }

                    family.Help = Unescape(rest, inLabelValue: false, where);
                }

                continue;
            }

            var sample = ParseSample(line, where);
            var familyName = FamilyOf(sample.Name, builders);
            if (familyName is null)
            {
                throw new FormatException($"Sample {sample.Name} without a TYPE before it, at {where}.");
            }

            family = Enter(familyName, builders, order, finished, ref current, where);
            if (!series.Add(sample.Series))
            {
                throw new FormatException($"The series {sample.Series} appears twice, at {where}.");
            }

            family.Samples.Add(sample);
        }

        var families = new Dictionary<string, PrometheusFamily>(StringComparer.Ordinal);
        foreach (var builder in order)
        {
            if (builder.Type is null)
            {
                throw new FormatException($"Family {builder.Name} has no TYPE.");
            }

            var family = new PrometheusFamily(builder.Name, builder.Type, builder.Help, builder.Samples);
            Validate(family);
            families.Add(family.Name, family);
        }

        return families;
    }

    /// <summary>Makes <paramref name="name"/> the current family; a family that was left earlier may not come back.</summary>
    private static FamilyBuilder Enter(string name, Dictionary<string, FamilyBuilder> builders, List<FamilyBuilder> order, HashSet<string> finished, ref FamilyBuilder? current, string where)
    {
        if (current is not null && current.Name != name)
        {
            finished.Add(current.Name);
        }

        if (finished.Contains(name))
        {
            throw new FormatException($"Family {name} resumes after another family, at {where}: its lines must be contiguous.");
        }

        if (!builders.TryGetValue(name, out var family))
        {
            family = new FamilyBuilder(name);
            builders.Add(name, family);
            order.Add(family);
        }

        current = family;
        return family;
    }

    /// <summary>The typed family a sample belongs to: a histogram's for its suffixed samples, else the family of its own name.</summary>
    private static string? FamilyOf(string sampleName, Dictionary<string, FamilyBuilder> builders)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && builders.TryGetValue(sampleName[..^suffix.Length], out var histogram)
                && histogram.Type == "histogram")
            {
                return histogram.Name;
            }
        }

        return builders.TryGetValue(sampleName, out var family) && family.Type is not null ? sampleName : null;
    }

    private static void Validate(PrometheusFamily family)
    {
        switch (family.Type)
        {
            case "counter":
                if (!family.Name.EndsWith("_total", StringComparison.Ordinal))
                {
                    throw new FormatException($"Counter {family.Name} does not end in _total.");
                }

                foreach (var sample in family.Samples)
                {
                    if (sample.Name != family.Name)
                    {
                        throw new FormatException($"Sample {sample.Name} in counter family {family.Name}.");
                    }

                    if (!(sample.Value >= 0))
                    {
                        throw new FormatException($"Counter {sample.Series} is {sample.Value}: counters are non-negative numbers.");
                    }
                }

                break;
            case "gauge":
                foreach (var sample in family.Samples)
                {
                    if (sample.Name != family.Name)
                    {
                        throw new FormatException($"Sample {sample.Name} in gauge family {family.Name}.");
                    }
                }

                break;
            case "histogram":
                ValidateHistogram(family);
                break;
        }
    }

    private static void ValidateHistogram(PrometheusFamily family)
    {
        var groups = new Dictionary<string, List<PrometheusSample>>(StringComparer.Ordinal);
        foreach (var sample in family.Samples)
        {
            var suffix = sample.Name[family.Name.Length..];
            if (suffix is not ("_bucket" or "_sum" or "_count"))
            {
                throw new FormatException($"Sample {sample.Name} in histogram family {family.Name}.");
            }

            if ((suffix == "_bucket") != sample.Labels.ContainsKey("le"))
            {
                throw new FormatException($"{sample.Series}: buckets, and only buckets, carry le.");
            }

            var key = string.Join(",", sample.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\""));
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = [];
            }

            group.Add(sample);
        }

        foreach (var (labels, group) in groups)
        {
            var where = $"{family.Name}{{{labels}}}";
            var buckets = group.Where(s => s.Name == family.Name + "_bucket").ToList();
            if (buckets.Count == 0)
            {
                throw new FormatException($"{where} has no buckets.");
            }

            var previousBound = double.NegativeInfinity;
            var previousCount = 0.0;
            for (var i = 0; i < buckets.Count; i++)
            {
                var bound = ParseValue(buckets[i].Label("le")!, $"le of {where}");
                if (double.IsNaN(bound) || (i > 0 && !(bound > previousBound)))
                {
                    throw new FormatException($"The buckets of {where} are not in strictly increasing le order.");
                }

                var count = buckets[i].Value;
                if (!(count >= previousCount) || count != Math.Floor(count))
                {
                    throw new FormatException($"The buckets of {where} are not cumulative whole counts (le={buckets[i].Label("le")}: {count}).");
                }

                previousBound = bound;
                previousCount = count;
            }

            if (!double.IsPositiveInfinity(previousBound))
            {
                throw new FormatException($"The last bucket of {where} is not le=\"+Inf\".");
            }

            var counts = group.Where(s => s.Name == family.Name + "_count").ToList();
            var sums = group.Where(s => s.Name == family.Name + "_sum").ToList();
            if (counts.Count != 1 || sums.Count != 1)
            {
                throw new FormatException($"{where} needs exactly one _count and one _sum.");
            }

            if (counts[0].Value != previousCount)
            {
                throw new FormatException($"_count of {where} is {counts[0].Value} but its +Inf bucket is {previousCount}.");
            }
        }
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        var position = 0;
        var name = ReadWhile(line, ref position, c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');
        RequireMetricName(name, where);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (true)
            {
                if (position >= line.Length)
                {
                    throw new FormatException($"Unterminated label set at {where}.");
                }

                if (line[position] == '}')
                {
                    position++;
                    break;
                }

                var labelName = ReadWhile(line, ref position, c => char.IsAsciiLetterOrDigit(c) || c == '_');
                if (!LabelName().IsMatch(labelName) || labelName.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"Invalid label name '{labelName}' at {where}.");
                }

                if (position + 1 >= line.Length || line[position] != '=' || line[position + 1] != '"')
                {
                    throw new FormatException($"Expected =\" after {labelName} at {where}.");
                }

                position += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (position >= line.Length)
                    {
                        throw new FormatException($"Unterminated label value at {where}.");
                    }

                    var c = line[position++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (position >= line.Length)
                        {
                            throw new FormatException($"Dangling escape at {where}.");
                        }

                        value.Append(Escaped(line[position++], inLabelValue: true, where));
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new FormatException($"Label {labelName} repeated at {where}.");
                }

                if (position < line.Length && line[position] == ',')
                {
                    position++; // the format allows a trailing comma before '}'
                }
                else if (position >= line.Length || line[position] != '}')
                {
                    throw new FormatException($"Expected , or }} after the value of {labelName} at {where}.");
                }
            }
        }

        if (position >= line.Length || line[position] != ' ')
        {
            throw new FormatException($"Expected one space before the value at {where}.");
        }

        var parts = line[(position + 1)..].Split(' ');
        if (parts.Length is not (1 or 2))
        {
            throw new FormatException($"Expected a value and an optional timestamp, one space apart, at {where}.");
        }

        var sampleValue = ParseValue(parts[0], where);
        long? timestamp = null;
        if (parts.Length == 2)
        {
            if (!TimestampLiteral().IsMatch(parts[1]) || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds))
            {
                throw new FormatException($"Bad timestamp at {where}.");
            }

            timestamp = milliseconds;
        }

        return new PrometheusSample(name, labels, sampleValue, timestamp);
    }

    private static void RequireMetricName(string name, string where)
    {
        if (!MetricName().IsMatch(name))
        {
            throw new FormatException($"Invalid metric name '{name}' at {where}.");
        }
    }

    /// <summary>A value: <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c> or a decimal float (no hexadecimal, no other spellings of infinity).</summary>
    internal static double ParseValue(string text, string where) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when FloatLiteral().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new FormatException($"'{text}' is not a Prometheus float ({where})."),
    };

    private static string Unescape(string text, bool inLabelValue, string where)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }

            if (++i >= text.Length)
            {
                throw new FormatException($"Dangling escape at {where}.");
            }

            builder.Append(Escaped(text[i], inLabelValue, where));
        }

        return builder.ToString();
    }

    /// <summary>The escapes of the format: <c>\\</c> and <c>\n</c> everywhere, <c>\"</c> in label values only.</summary>
    private static char Escaped(char c, bool inLabelValue, string where) => c switch
    {
        '\\' => '\\',
        'n' => '\n',
        '"' when inLabelValue => '"',
        _ => throw new FormatException($"Invalid escape \\{c} at {where}."),
    };

    private static string ReadWhile(string line, ref int position, Func<char, bool> accept)
    {
        var start = position;
        while (position < line.Length && accept(line[position]))
        {
            position++;
        }

        return line[start..position];
    }

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[^ ]+)(?: (?<rest>.*))?$")]
    private static partial Regex MetadataLine();

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex FloatLiteral();

    [GeneratedRegex(@"^-?\d+$")]
    private static partial Regex TimestampLiteral();

    private sealed class FamilyBuilder(string name)
    {
        public string Name => name;

        public string? Type { get; set; }

        public string? Help { get; set; }

        public List<PrometheusSample> Samples { get; } = [];
    }
}
