using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OrbitMesh.Workflows;

/// <summary>
/// Reads one YAML document into a <see cref="JsonNode"/> tree with YamlDotNet's parser, recording
/// where every value starts. Plain scalars are typed by the YAML 1.2 core schema (null, booleans,
/// integers, floats; everything else is a string); quoted scalars are strings.
/// </summary>
/// <remarks>
/// Anchors and aliases are refused rather than expanded: a definition never needs them, and expanding
/// them is how a few hundred bytes become gigabytes ("billion laughs"). Tags other than <c>!!str</c>,
/// several documents in one file, duplicate keys, non-scalar keys and nesting deeper than
/// <see cref="WorkflowDocument.MaxDepth"/> are refused too, each with its line and column.
/// </remarks>
internal static partial class YamlSourceReader
{
    private const string StringTag = "tag:yaml.org,2002:str";

    public static JsonNode? Read(string text, SourceMap map)
    {
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, "The document is empty.", new SourcePosition(1, 1));
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, map, string.Empty, depth: 1);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, "A definition file holds one YAML document; this one has a second ('---').", Position(parser.Current!.Start));
            }

            return root;
        }
        catch (YamlException ex)
        {
            throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, "The document is not valid YAML: " + Reason(ex), Position(ex.Start), ex);
        }
    }

    private static JsonNode? ReadNode(IParser parser, SourceMap map, string pointer, int depth)
    {
        var current = parser.Current ?? throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, "The document ends early.", null);
        var position = Position(current.Start);
        if (depth > WorkflowDocument.MaxDepth)
        {
            throw new DocumentSyntaxException(WorkflowErrorCodes.OverLimit, $"The document nests deeper than {WorkflowDocument.MaxDepth} levels.", position);
        }

        map.Add(pointer, position);
        switch (current)
        {
            case AnchorAlias alias:
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"Aliases (*{alias.Value}) are not allowed in a definition: write the value out.", position);
            case NodeEvent { Anchor.IsEmpty: false } anchored:
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"Anchors (&{anchored.Anchor}) are not allowed in a definition: write the value out.", position);
            case Scalar scalar:
                parser.MoveNext();
                return ScalarValue(scalar, position);
            case SequenceStart sequenceStart:
                RefuseTag(sequenceStart, position);
                parser.MoveNext();
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    array.Add(ReadNode(parser, map, SourceMap.Child(pointer, array.Count), depth + 1));
                }

                return array;
            case MappingStart mappingStart:
                RefuseTag(mappingStart, position);
                parser.MoveNext();
                var obj = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var keyPosition = Position(parser.Current!.Start);
                    if (parser.Current is not Scalar { Anchor.IsEmpty: true } key)
                    {
                        throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, "Mapping keys must be plain strings.", keyPosition);
                    }

                    parser.MoveNext();
                    if (obj.ContainsKey(key.Value))
                    {
                        throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"The key '{key.Value}' appears twice in the same mapping.", keyPosition);
                    }

                    obj[key.Value] = ReadNode(parser, map, SourceMap.Child(pointer, key.Value), depth + 1);
                }

                return obj;
            default:
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"Unexpected {current.GetType().Name} in the document.", position);
        }
    }

    private static JsonNode? ScalarValue(Scalar scalar, SourcePosition position)
    {
        if (!scalar.Tag.IsEmpty && scalar.Tag.Value != "!")
        {
            if (scalar.Tag.Value == StringTag)
            {
                return JsonValue.Create(scalar.Value);
            }

            throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"The tag '{scalar.Tag.Value}' is not allowed in a definition (only !!str is).", position);
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(scalar.Value);
        }

        return Resolve(scalar.Value, position);
    }

    /// <summary>The YAML 1.2 core schema's resolution of a plain scalar.</summary>
    internal static JsonNode? Resolve(string value, SourcePosition position)
    {
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"'{value}' has no JSON equivalent; quote it to make it a string.", position);
        }

        if (IntegerPattern().IsMatch(value))
        {
            return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonValue.Create(integer)
                : JsonValue.Create(decimal.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        if (HexPattern().IsMatch(value))
        {
            return JsonValue.Create(long.Parse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
        }

        if (OctalPattern().IsMatch(value))
        {
            return JsonValue.Create(Convert.ToInt64(value[2..], 8));
        }

        if (FloatPattern().IsMatch(value))
        {
            return JsonValue.Create(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        return JsonValue.Create(value);
    }

    /// <summary>True when a string written plain would be read back as something else than that string.</summary>
    internal static bool NeedsQuotes(string value)
    {
        try
        {
            return Resolve(value, default) is not JsonValue resolved || !resolved.TryGetValue<string>(out _);
        }
        catch (DocumentSyntaxException)
        {
            return true;
        }
    }

    private static void RefuseTag(NodeEvent node, SourcePosition position)
    {
        if (!node.Tag.IsEmpty && node.Tag.Value != "!")
        {
            throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidYaml, $"The tag '{node.Tag.Value}' is not allowed in a definition.", position);
        }
    }

    private static SourcePosition Position(Mark mark) => new((int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    /// <summary>YamlDotNet prefixes its messages with the marks, which the error carries already.</summary>
    private static string Reason(YamlException ex)
    {
        var message = ex.Message;
        var close = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith('(') && close > 0 ? message[(close + 3)..] : message;
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^0x[0-9a-fA-F]{1,15}$", RegexOptions.CultureInvariant)]
    private static partial Regex HexPattern();

    [GeneratedRegex(@"^0o[0-7]{1,20}$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
