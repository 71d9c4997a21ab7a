using OrbitMesh.Agent;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>
/// A well-behaved <see cref="MeshAgent"/> on the same server as a misbehaving client; tests invoke it
/// after the bad input to prove the server kept serving everyone else.
/// </summary>
internal static class Witness
{
    public const string Id = "witness";

    public static async Task<MeshAgent> StartAsync(TestMeshServer server, string id = Id)
    {
        var agent = server.NewAgent(id)
            .RegisterHandler("echo", command => command.GetParameter<string>("text"))
            .Build();
        await Wait.ForAsync(agent.ConnectAsync(), $"witness '{id}' to connect");
        return agent;
    }

    /// <summary>Invokes the witness through the server and checks the answer and its status.</summary>
    public static async Task AssertServedAsync(TestMeshServer server, string id = Id)
    {
        var text = "still-served-" + Guid.NewGuid().ToString("N");
        var answer = await Wait.ForAsync(server.Mesh.InvokeAsync<string>(id, "echo", new { text }), $"witness '{id}' to answer");
        Assert.Equal(text, answer);

        // Tests that use it set heartbeats of 100 ms, so a loaded machine's scheduling pause can make the
        // witness Unreachable for a beat; it answered, and its next heartbeat must bring it back to Ready.
        await Wait.UntilAsync(() => server.Registry.GetAgent(id)?.Status == AgentStatus.Ready, $"witness '{id}' to be Ready", TimeSpan.FromSeconds(5));
    }
}
