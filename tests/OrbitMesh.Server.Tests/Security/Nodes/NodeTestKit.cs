using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Security;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>Admin and node calls against a test server's enrollment API, with each node's identity in its own temporary directory.</summary>
internal sealed class NodeTestKit : IDisposable
{
    private readonly List<string> _directories = [];
    private readonly List<NodeIdentity> _identities = [];

    public NodeTestKit(TestMeshServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.Url };
        Enrollment = new NodeEnrollmentClient(Http, server.Url);
    }

    public TestMeshServer Server { get; }

    public HttpClient Http { get; }

    public NodeEnrollmentClient Enrollment { get; }

    public async Task<BootstrapTokenView> CreateTokenAsync(int uses = 1, double? ttlSeconds = null, params string[] capabilities)
    {
        using var response = await Http.PostAsJsonAsync("/api/tokens", new BootstrapTokenRequest { Uses = uses, TtlSeconds = ttlSeconds, Capabilities = capabilities }, OrbitMeshJson.Options);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<BootstrapTokenView>(OrbitMeshJson.Options))!;
    }

    public NodeIdentity NewIdentity(string nodeId)
    {
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-node-" + Guid.NewGuid().ToString("N"));
        _directories.Add(directory);
        var identity = NodeIdentity.Create(directory, nodeId);
        _identities.Add(identity);
        return identity;
    }

    /// <summary>Enrolls a new node with a new token and approves it with <paramref name="grants"/>.</summary>
    public async Task<NodeIdentity> EnrollApprovedAsync(string nodeId, params string[] grants)
    {
        var token = await CreateTokenAsync();
        var identity = NewIdentity(nodeId);
        var pending = await Enrollment.RequestAsync(identity, token.Token!, null, grants);
        Assert.Equal(NodeStatus.Pending, pending.Status);
        await DecideAsync(nodeId, "approve", new NodeDecision { Capabilities = grants });
        var status = await Enrollment.StatusAsync(identity);
        Assert.Equal(NodeStatus.Approved, status.Status);
        return identity;
    }

    public async Task<HttpResponseMessage> DecideAsync(string nodeId, string decision, NodeDecision? body = null, bool expectSuccess = true)
    {
        var response = await Http.PostAsJsonAsync($"/api/nodes/{nodeId}/{decision}", body ?? new NodeDecision(), OrbitMeshJson.Options);
        if (expectSuccess)
        {
            Assert.True(response.IsSuccessStatusCode, $"{decision} {nodeId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    public async Task<NodeView> GetNodeAsync(string nodeId) =>
        (await Http.GetFromJsonAsync<NodeView>($"/api/nodes/{nodeId}", OrbitMeshJson.Options))!;

    public async Task<IReadOnlyList<AuditEntryView>> AuditAsync(string query = "") =>
        (await Http.GetFromJsonAsync<List<AuditEntryView>>("/api/audit" + query, OrbitMeshJson.Options))!;

    /// <summary>An agent that connects as <paramref name="identity"/>.</summary>
    public MeshAgentBuilder NewNodeAgent(NodeIdentity identity) => new MeshAgentBuilder()
        .WithServer(Server.Url)
        .WithNodeIdentity(identity, Http)
        .Configure(o =>
        {
            o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
        });

    /// <summary>Posts JSON and returns the status and the problem's detail (or the body).</summary>
    public async Task<(int Status, string Detail)> PostAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body, OrbitMeshJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail))
            {
                return ((int)response.StatusCode, detail.GetString() ?? text);
            }
        }
        catch (JsonException)
        {
        }

        return ((int)response.StatusCode, text);
    }

    public void Dispose()
    {
        Http.Dispose();
        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        foreach (var directory in _directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public sealed record AuditEntryView(long Sequence, string Type, string? Actor, string? Subject, bool Success, string? Reason, string? RemoteAddress);
}
