using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>One sample line: its name, labels and value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.TryGetValue(name, out var value) ? value : null;
}

/// <summary>One metric family: its name, type, help text and samples.</summary>
internal sealed record PrometheusFamily(string Name, string Type, string? Help, List<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's
/// description: it rejects anything a Prometheus server would reject and checks the rules a scrape
/// relies on (one TYPE per family before its samples, contiguous families, no repeated series,
/// counters ending in _total, cumulative histogram buckets ending in +Inf equal to _count).
/// </summary>
internal static partial class PrometheusTextParser
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static Dictionary<string, PrometheusFamily> Parse(string text)
    {
        var families = new Dictionary<string, PrometheusFamily>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var typed = new HashSet<string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        PrometheusFamily? current = null;
        var lineNumber = 0;
        Assert.True(text.Length == 0 || text.EndsWith('\n'), "The exposition must end with a line feed.");
        foreach (var line in text.Split('\n').SkipLast(1))
        {
            lineNumber++;
            var where = $"line {lineNumber}: '{line}'";
            Assert.False(line.Contains('\r'), $"Carriage return at {where}.");
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                var comment = CommentLine().Match(line);
                if (!comment.Success)
                {
                    continue; // an ordinary comment
                }

                var name = comment.Groups["name"].Value;
                var kind = comment.Groups["kind"].Value;
                var rest = comment.Groups["rest"].Value;
                Assert.Matches(MetricName(), name);
                if (current is not null && current.Name != name)
                {
                    finished.Add(current.Name);
                }

                Assert.DoesNotContain(name, finished);
                if (!families.TryGetValue(name, out var family))
                {
                    family = new PrometheusFamily(name, "untyped", null, []);
                    families[name] = family;
                }

                Assert.True(family.Samples.Count == 0, $"{kind} for {name} after its samples, at {where}.");
                if (kind == "TYPE")
                {
                    Assert.Contains(rest, Types);
                    Assert.True(typed.Add(name), $"A second TYPE for {name} at {where}.");
                    families[name] = family = family with { Type = rest };
                }
                else
                {
                    Assert.True(helped.Add(name), $"A second HELP for {name} at {where}.");
                    families[name] = family = family with { Help = Unescape(rest, inLabel: false, where) };
                }

                current = family;
                continue;
            }

            var sample = ParseSample(line, where);
            var familyName = FamilyOf(sample.Name, families);
            if (current is not null && current.Name != familyName)
            {
                finished.Add(current.Name);
            }

            Assert.DoesNotContain(familyName, finished);
            if (!families.TryGetValue(familyName, out var owner))
            {
                owner = new PrometheusFamily(familyName, "untyped", null, []);
                families[familyName] = owner;
            }

            owner.Samples.Add(sample);
            current = owner;
            var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
            Assert.True(series.Add(key), $"The series {key} appears twice ({where}).");
        }

        foreach (var family in families.Values)
        {
            Validate(family);
        }

        return families;
    }

    private static string FamilyOf(string sampleName, Dictionary<string, PrometheusFamily> families)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count", "_total" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var stem = sampleName[..^suffix.Length];
                if (families.TryGetValue(stem, out var family) && family.Type is "histogram" or "summary" or "counter")
                {
                    return stem;
                }
            }
        }

        return sampleName;
    }

    private static void Validate(PrometheusFamily family)
    {
        switch (family.Type)
        {
            case "counter":
                Assert.All(family.Samples, s =>
                {
                    Assert.Equal(family.Name + "_total", s.Name);
                    Assert.True(s.Value >= 0 || double.IsNaN(s.Value), $"Counter {s.Name} is negative.");
                });
                break;
            case "gauge":
                Assert.All(family.Samples, s => Assert.Equal(family.Name, s.Name));
                break;
            case "histogram":
                foreach (var group in family.Samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))))
                {
                    var buckets = group.Where(s => s.Name == family.Name + "_bucket").ToList();
                    Assert.NotEmpty(buckets);
                    Assert.All(buckets, b => Assert.NotNull(b.Label("le")));
                    var bounds = buckets.Select(b => ParseValue(b.Label("le")!, "le")).ToList();
                    Assert.Equal(bounds.Order().ToList(), bounds);
                    Assert.True(double.IsPositiveInfinity(bounds[^1]), $"The last bucket of {family.Name}{{{group.Key}}} is not +Inf.");
                    for (var i = 1; i < buckets.Count; i++)
                    {
                        Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"Buckets of {family.Name}{{{group.Key}}} are not cumulative.");
                    }

                    var count = Assert.Single(group, s => s.Name == family.Name + "_count");
                    Assert.Single(group, s => s.Name == family.Name + "_sum");
                    Assert.Equal(buckets[^1].Value, count.Value);
                    Assert.Equal(buckets.Count + 2, group.Count());
                }

                break;
        }
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        var position = 0;
        var name = ReadWhile(line, ref position, c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');
        Assert.Matches(MetricName(), name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (true)
            {
                Assert.True(position < line.Length, $"Unterminated label set at {where}.");
                if (line[position] == '}')
                {
                    position++;
                    break;
                }

                var labelName = ReadWhile(line, ref position, c => char.IsAsciiLetterOrDigit(c) || c == '_');
                Assert.Matches(LabelName(), labelName);
                Assert.False(labelName.StartsWith("__", StringComparison.Ordinal), $"Reserved label name {labelName} at {where}.");
                Assert.True(position + 1 < line.Length && line[position] == '=' && line[position + 1] == '"', $"Expected =\" after {labelName} at {where}.");
                position += 2;
                var value = new StringBuilder();
                while (true)
                {
                    Assert.True(position < line.Length, $"Unterminated label value at {where}.");
                    var c = line[position++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        Assert.True(position < line.Length, $"Dangling escape at {where}.");
                        var escaped = line[position++];
                        value.Append(escaped switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new Xunit.Sdk.XunitException($"Invalid escape \\{escaped} in a label value at {where}."),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                Assert.True(labels.TryAdd(labelName, value.ToString()), $"Label {labelName} repeated at {where}.");
                if (line[position] == ',')
                {
                    position++;
                }
                else
                {
                    Assert.Equal('}', line[position]);
                }
            }
        }

        Assert.True(position < line.Length && line[position] == ' ', $"Expected one space before the value at {where}.");
        var parts = line[(position + 1)..].Split(' ');
        Assert.True(parts.Length is 1 or 2, $"Expected a value and an optional timestamp at {where}.");
        var sampleValue = ParseValue(parts[0], where);
        if (parts.Length == 2)
        {
            Assert.True(long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), $"Bad timestamp at {where}.");
        }

        return new PrometheusSample(name, labels, sampleValue);
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && FloatLiteral().IsMatch(text)
            ? value
            : throw new Xunit.Sdk.XunitException($"'{text}' is not a Prometheus float ({where})."),
    };

    private static string Unescape(string text, bool inLabel, string where)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }

            Assert.True(++i < text.Length, $"Dangling escape at {where}.");
            builder.Append(text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when inLabel => '"',
                _ => throw new Xunit.Sdk.XunitException($"Invalid escape \\{text[i]} at {where}."),
            });
        }

        return builder.ToString();
    }

    private static string ReadWhile(string line, ref int position, Func<char, bool> accept)
    {
        var start = position;
        while (position < line.Length && accept(line[position]))
        {
            position++;
        }

        return line[start..position];
    }

    [GeneratedRegex("^# (?<kind>HELP|TYPE) (?<name>\\S+) (?<rest>.*)$")]
    private static partial Regex CommentLine();

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex("^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$")]
    private static partial Regex FloatLiteral();
}
