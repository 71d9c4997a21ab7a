using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Grid.Tests;

/// <summary>
/// A real server on 127.0.0.1 and two star agents, "star-a" and "star-b", each allowed only its own root
/// (and each root next to an "outside" directory the stars must never reach).
/// </summary>
public sealed class StarsFixture : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private MeshAgent? _a;
    private MeshAgent? _b;

    public TestMeshServer Server { get; private set; } = null!;

    public string RootA => _tree["a"];

    public string RootB => _tree["b"];

    public string Outside => _tree["outside"];

    public RemoteSystem StarA => new(Server.Mesh, "star-a");

    public RemoteSystem StarB => new(Server.Mesh, "star-b");

    public async Task InitializeAsync()
    {
        _tree.Dir("a");
        _tree.Dir("b");
        _tree.File("outside/secret.txt", "secret");
        Server = await TestMeshServer.StartAsync();
        _a = Server.NewAgent("star-a").AddGridHandlers(new PathAllowList([RootA])).Build();
        _b = Server.NewAgent("star-b").AddGridHandlers(new PathAllowList([RootB])).Build();
        await _a.ConnectAsync();
        await _b.ConnectAsync();
        await Server.WaitForAgentAsync("star-a", AgentStatus.Ready);
        await Server.WaitForAgentAsync("star-b", AgentStatus.Ready);
    }

    public async Task DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }

        if (_b is not null)
        {
            await _b.DisposeAsync();
        }

        await Server.DisposeAsync();
        _tree.Dispose();
    }
}
