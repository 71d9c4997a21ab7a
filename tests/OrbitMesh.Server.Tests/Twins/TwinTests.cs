using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrbitMesh.Agent;

namespace OrbitMesh.Server.Tests.Twins;

/// <summary>Desired/reported twins: optimistic concurrency, delivery at once, and no change lost across disconnects.</summary>
public sealed class TwinTests
{
    [Fact]
    public async Task DesiredChange_ReachesTheConnectedAgentAtOnce_AndIsAcknowledged()
    {
        await using var server = await TestMeshServer.StartAsync();
        var changes = new List<DesiredChange>();
        await using var agent = server.NewAgent("twin-a").RegisterHandler("noop", _ => null).Build();
        agent.Twin.OnDesiredChanged((change, _) =>
        {
            lock (changes)
            {
                changes.Add(change);
            }

            return Task.CompletedTask;
        });
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var patch = await PatchAsync(http, "twin-a", """{"desired":{"logLevel":"debug","limits":{"cpu":2}}}""");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal("\"1\"", patch.Headers.ETag!.Tag);

        await Wait.UntilAsync(() => agent.Twin.DesiredVersion == 1, "the agent to apply version 1");
        Assert.Equal("debug", agent.Twin.Desired.GetProperty("logLevel").GetString());
        await Wait.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>("/api/agents/twin-a/twin")).GetProperty("acknowledgedDesiredVersion").GetInt64() == 1, "the acknowledgement to be stored");
        Assert.Single(changes);
    }

    [Fact]
    public async Task ReportedProperties_AreStored()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("twin-b").RegisterHandler("noop", _ => null).Build();
        await agent.ConnectAsync();

        Assert.Equal(1, await agent.Twin.ReportAsync(new { cpu = 45, disk = new { free = 100 } }));
        Assert.Equal(2, await agent.Twin.ReportAsync(new Dictionary<string, object?> { ["cpu"] = null, ["disk"] = new { used = 3 } }));

        using var http = new HttpClient { BaseAddress = server.Url };
        var twin = await http.GetFromJsonAsync<JsonElement>("/api/agents/twin-b/twin");
        Assert.Equal(2, twin.GetProperty("reportedVersion").GetInt64());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"disk":{"free":100,"used":3}}"""), JsonNode.Parse(twin.GetProperty("reported").GetRawText())));
        await Assert.ThrowsAsync<ArgumentException>(() => agent.Twin.ReportAsync(42));
    }

    [Fact]
    public async Task IfMatch_WithAStaleVersion_Is412_AndChangesNothing()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server, "twin-c", []);
        using var http = new HttpClient { BaseAddress = server.Url };
        using (await PatchAsync(http, "twin-c", """{"desired":{"a":1}}""", ifMatch: "\"0\""))
        {
        }

        using var stale = await PatchAsync(http, "twin-c", """{"desired":{"a":2}}""", ifMatch: "\"0\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("\"1\"", stale.Headers.ETag!.Tag);

        using var fresh = await PatchAsync(http, "twin-c", """{"desired":{"a":3}}""", ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var twin = await http.GetFromJsonAsync<JsonElement>("/api/agents/twin-c/twin");
        Assert.Equal(3, twin.GetProperty("desired").GetProperty("a").GetInt32());
        Assert.Equal(2, twin.GetProperty("desiredVersion").GetInt64());
    }

    [Fact]
    public async Task BadTwinRequests_AreClearProblems()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server, "twin-d", []);
        using var http = new HttpClient { BaseAddress = server.Url };

        using var notObject = await PatchAsync(http, "twin-d", """{"desired":[1,2]}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notObject.StatusCode);
        using var badJson = await PatchAsync(http, "twin-d", """{"desired":""");
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        using var badIfMatch = await PatchAsync(http, "twin-d", """{"desired":{}}""", ifMatch: "\"seven\"");
        Assert.Equal(HttpStatusCode.BadRequest, badIfMatch.StatusCode);
        using var unknown = await PatchAsync(http, "nobody", """{"desired":{}}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Reconnect_BehindTheDesiredVersion_GetsTheDocumentAndTheDifferenceSinceItsVersion()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        await using (var initial = await ScriptedAgent.ConnectAsync(server, "twin-e", []))
        {
            using (await PatchAsync(http, "twin-e", """{"desired":{"mode":"a","keep":1,"drop":{"x":1}}}"""))
            {
            }

            using (await PatchAsync(http, "twin-e", """{"desired":{"mode":"b"}}"""))
            {
            }
        }

        // While the agent was away (it has applied version 2): the key is removed, then set again as an object.
        using (await PatchAsync(http, "twin-e", """{"desired":{"drop":null,"mode":"c"}}"""))
        {
        }

        using (await PatchAsync(http, "twin-e", """{"desired":{"drop":{"y":2}}}"""))
        {
        }

        await using (var fresh = await ScriptedAgent.ConnectAsync(server, "twin-e", []))
        {
            await Wait.UntilAsync(() => !fresh.Desired.IsEmpty, "the whole document for an agent that has none");
            Assert.True(fresh.Desired.TryDequeue(out var full));
            Assert.Equal(4, full.Version);
            Assert.Equal(0, full.FromVersion);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"mode":"c","keep":1,"drop":{"y":2}}"""), JsonNode.Parse(full.Desired.GetRawText())));
        }

        await using (var atTwo = await ScriptedAgent.ConnectAsync(server, "twin-e", [], r => r with { DesiredVersion = 2 }))
        {
            await Wait.UntilAsync(() => !atTwo.Desired.IsEmpty, "the difference for an agent at version 2");
            Assert.True(atTwo.Desired.TryDequeue(out var delta));
            Assert.Equal(2, delta.FromVersion);
            var rebuilt = OrbitMesh.Twins.JsonMergePatch.Apply(JsonDocument.Parse("""{"mode":"b","keep":1,"drop":{"x":1}}""").RootElement, delta.Patch);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(delta.Desired.GetRawText()), JsonNode.Parse(rebuilt.GetRawText())), "applying the difference to the version-2 document must give version 4");
        }

        await using var upToDate = await ScriptedAgent.ConnectAsync(server, "twin-e", [], r => r with { DesiredVersion = 4 });
        using (await PatchAsync(http, "twin-e", """{"desired":{"next":true}}"""))
        {
        }

        await Wait.UntilAsync(() => !upToDate.Desired.IsEmpty, "the next change");
        Assert.True(upToDate.Desired.TryDequeue(out var first));
        Assert.Equal(5, first.Version);
        Assert.Equal(4, first.FromVersion);
    }

    [Fact]
    public async Task DesiredChangesWhileDisconnected_ArriveAfterTheReconnect_WithARealAgent()
    {
        var port = FreePort.Next();
        var db = Path.Combine(Path.GetTempPath(), "orbitmesh-twin-" + Guid.NewGuid().ToString("N")[..8], "orbitmesh.db");
        var server = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await using var agent = server.NewAgent("twin-f").RegisterHandler("noop", _ => null).Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        using (await PatchAsync(http, "twin-f", """{"desired":{"v":1}}"""))
        {
        }

        await Wait.UntilAsync(() => agent.Twin.DesiredVersion == 1, "version 1 to reach the agent");
        await server.DisposeAsync();
        await Wait.UntilAsync(() => agent.State == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Reconnecting, "the agent to notice");

        // Change the desired properties with the agent away (through a second server on the same data).
        await using (var offline = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db)))
        {
            var twins = (OrbitMesh.Server.Twins.TwinService)offline.Services.GetService(typeof(OrbitMesh.Server.Twins.TwinService))!;
            await twins.PatchDesiredAsync("twin-f", JsonSerializer.SerializeToElement(new { v = 2, extra = "yes" }), 1, CancellationToken.None);
        }

        await using var restarted = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await Wait.UntilAsync(() => agent.Twin.DesiredVersion == 2, "the change made while away to arrive");
        Assert.Equal("yes", agent.Twin.Desired.GetProperty("extra").GetString());
    }

    private static Task<HttpResponseMessage> PatchAsync(HttpClient http, string agentId, string body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/agents/{agentId}/twin") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return http.SendAsync(request);
    }
}
