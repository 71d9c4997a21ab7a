using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Transport;

namespace OrbitMesh.Integration.Tests.Agents;

/// <summary>
/// The .NET agent on each hub protocol against a hub that speaks only that one (so a wrong choice fails the
/// handshake): registration, an invocation, a streaming job with progress, items and a result, and twins.
/// </summary>
public sealed class AgentHubProtocolTests
{
    [Theory]
    [InlineData(MeshHubProtocol.Json, "json")]
    [InlineData(MeshHubProtocol.MessagePack, "messagepack")]
    public async Task Agent_OnEachProtocol_RegistersInvokesAndRunsAStreamingJob(MeshHubProtocol protocol, string only)
    {
        await using var server = await TestMeshServer.StartAsync(
            o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(300),
            services: s => s.Configure<HubOptions<AgentHub>>(h => h.SupportedProtocols = [only]));
        await using var agent = server.NewAgent("proto-" + only)
            .WithMetadata("zone", "ü-1")
            .Configure(o => o.HubProtocol = protocol)
            .RegisterHandler("echo", c => c.Parameters)
            .RegisterStreamHandler("count", Count)
            .Build();
        await agent.ConnectAsync();
        await server.WaitForAgentAsync("proto-" + only, AgentStatus.Ready, TimeSpan.FromSeconds(20));
        Assert.Equal("ü-1", server.Registry.GetAgent("proto-" + only)!.Metadata["zone"]);

        // A JSON document goes out and comes back unchanged: nesting, unicode, big numbers, null.
        var document = JsonDocument.Parse("""{"text":"grüße ✓","n":12345678901234,"f":1.5,"list":[1,"two",null,{"deep":true}],"none":null}""").RootElement;
        var echoed = await server.Mesh.InvokeAsync<JsonElement>("proto-" + only, "echo", document);
        Assert.True(JsonElement.DeepEquals(document, echoed), echoed.GetRawText());

        var job = await server.Mesh.SubmitAsync(new JobRequest
        {
            Command = "count",
            Parameters = OrbitMeshJson.ToElement(new { n = 3 }),
            Pattern = ExecutionPattern.Streaming,
            Target = AgentTarget.ForAgent("proto-" + only),
        });
        var events = new List<JobEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in server.Mesh.WatchJobAsync(job.Id, timeout.Token))
        {
            events.Add(e);
            if (e.IsFinal)
            {
                break;
            }
        }

        Assert.Equal(JobStatus.Completed, events.Where(e => e.Type == JobEventType.Status).Select(e => e.Status).Last());
        Assert.Equal(["1", "\"two\"", "{\"n\":3}"], events.Where(e => e.Type == JobEventType.Item).Select(e => e.Item!.Value.GetRawText()));
        var record = (await server.Mesh.GetJobAsync(job.Id, timeout.Token))!;
        Assert.Equal(1, record.Attempt);
    }

    private static async IAsyncEnumerable<object?> Count(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return 1;
        yield return "two";
        yield return command.Parameters;
    }
}
