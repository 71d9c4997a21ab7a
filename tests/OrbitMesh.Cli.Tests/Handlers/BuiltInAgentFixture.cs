using OrbitMesh.Agent;
using OrbitMesh.Cli.Handlers;

namespace OrbitMesh.Cli.Tests.Handlers;

/// <summary>A server and one CLI-style agent with the built-in handlers.</summary>
public sealed class BuiltInAgentFixture : IAsyncLifetime
{
    public string AgentId => "builtin-agent";

    public TestMeshServer Server { get; private set; } = null!;

    public MeshAgent Agent { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await TestMeshServer.StartAsync();
        Agent = Server.NewAgent(AgentId).AddBuiltInHandlers().Build();
        await Agent.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        await Server.DisposeAsync();
    }
}
