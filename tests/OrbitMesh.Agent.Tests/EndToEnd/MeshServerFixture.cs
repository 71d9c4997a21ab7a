namespace OrbitMesh.Agent.Tests.EndToEnd;

/// <summary>One real server shared by the tests of a class; each test uses agents with its own ids.</summary>
public sealed class MeshServerFixture : IAsyncLifetime
{
    public TestMeshServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);

            // The server passes an agent's error details (stack traces) on to callers only when allowed;
            // these tests check what the agent sends, so the server lets it through.
            o.IncludeErrorDetails = true;
        });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
