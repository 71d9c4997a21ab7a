using OrbitMesh.Agent;

namespace AppDeployer;

/// <summary>Runs one OrbitMesh agent per id in this process, each a web node with its own root directory.</summary>
internal static class WebNodes
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var ids = (settings["Ids"] ?? "web-01,web-02,web-03,web-04,web-05").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var root = Path.GetFullPath(settings["Root"] ?? "nodes");
        using var http = new HttpClient();
        var agents = ids.Select(id => new WebNode(Directory.CreateDirectory(Path.Combine(root, id)).FullName, http)
            .Register(new MeshAgentBuilder().WithServer(server).WithToken(settings["AgentToken"] ?? "dev-agent-token").WithId(id).WithCapabilities("web"))
            .Configure(o => o.RetryInitialConnection = true)
            .Build()).ToList();
        try
        {
            await Task.WhenAll(agents.Select(a => a.ConnectAsync(cancellationToken)));
            Console.WriteLine($"{agents.Count} web nodes connected to {server} ({root})");
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }
}
