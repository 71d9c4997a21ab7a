using System.Text.Json;
using System.Text.Json.Nodes;
using OrbitMesh.Twins;

namespace OrbitMesh.Core.Tests.Twins;

/// <summary>JSON Merge Patch per RFC 7396, including its appendix examples, and composition.</summary>
public sealed class JsonMergePatchTests
{
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Apply_MatchesTheRfcExamples(string target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(Parse(target), Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(result.GetRawText())), result.GetRawText());
    }

    [Fact]
    public void Diff_ThenApply_GivesTheTarget_ForRandomDocuments()
    {
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var from = RandomObject(random);
            var to = RandomObject(random);
            var patch = JsonMergePatch.Diff(from, to);
            var result = JsonMergePatch.Apply(from, patch);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(to.GetRawText()), JsonNode.Parse(result.GetRawText())), $"{from} -> {to} via {patch}");
        }
    }

    [Fact]
    public void Diff_OfARemovalThenAnObject_IsExpressible()
    {
        // The case that defeats composing merge patches: k removed, then set to an object with a member removed.
        var from = Parse("""{"k":{"a":1}}""");
        var to = JsonMergePatch.Apply(JsonMergePatch.Apply(from, Parse("""{"k":null}""")), Parse("""{"k":{"b":null}}"""));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(to.GetRawText()), JsonMergePatch.Apply(from, JsonMergePatch.Diff(from, to)).GetRawText() is var text ? JsonNode.Parse(text) : null));
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>A random document as merge patches produce them: objects, numbers, strings, arrays, never null members.</summary>
    private static JsonElement RandomObject(Random random)
    {
        var node = new JsonObject();
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            node["k" + random.Next(4)] = random.Next(4) switch
            {
                0 => random.Next(10),
                1 => new JsonObject { ["n" + random.Next(3)] = random.Next(5), ["m" + random.Next(2)] = new JsonObject { ["x"] = random.Next(2) } },
                2 => "s" + random.Next(5),
                _ => new JsonArray(random.Next(3), null),
            };
        }

        return JsonSerializer.SerializeToElement(node);
    }
}
