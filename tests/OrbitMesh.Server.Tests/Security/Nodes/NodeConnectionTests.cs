using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Protocol;
using OrbitMesh.Security;
using OrbitMesh.Server.Security.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>Enrolled nodes on the hub: proof of key at every connect, grants, revocation.</summary>
public sealed class NodeConnectionTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private NodeTestKit _kit = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMilliseconds(300));
        _kit = new NodeTestKit(_server);
    }

    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ApprovedNode_Connects_ByProvingItsKey_AndRunsGrantedCommands()
    {
        var identity = await _kit.EnrollApprovedAsync("prover", "echo");
        await using var agent = _kit.NewNodeAgent(identity).RegisterHandler("echo", c => c.Parameters).Build();

        await agent.ConnectAsync();

        Assert.Equal("prover", agent.Id);
        await _server.WaitForAgentAsync("prover", AgentStatus.Ready);
        var result = await _server.Mesh.ExecuteAsync(new JobRequest { Command = "echo", Parameters = OrbitMeshJson.ToElement(new { x = 1 }), Target = AgentTarget.ForAgent("prover") });
        Assert.Equal(JobStatus.Completed, result.Status);
    }

    [Fact]
    public async Task PendingNode_IsRefusedAtConnect()
    {
        var token = await _kit.CreateTokenAsync();
        var identity = _kit.NewIdentity("waiting");
        await _kit.Enrollment.RequestAsync(identity, token.Token!, null, []);
        await using var agent = _kit.NewNodeAgent(identity).Build();

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());

        Assert.Contains("not approved yet", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(await _kit.AuditAsync("?type=auth.failed"), e => e.Subject == "waiting" && e.Reason == "the node is not approved yet");
    }

    [Fact]
    public async Task Connect_ForgedSignature_IsRefused()
    {
        await _kit.EnrollApprovedAsync("forged", "echo");
        var nonce = (await Challenge("forged")).Nonce;

        var (status, reason) = await NegotiateAsync(NodeProof.Credential("forged", nonce, "AAAA" + new string('A', 82)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("signature does not match the node's enrolled key", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_SignedWithAnotherKey_IsRefused()
    {
        await _kit.EnrollApprovedAsync("keyed", "echo");
        var other = _kit.NewIdentity("other");
        var nonce = (await Challenge("keyed")).Nonce;

        var (status, reason) = await NegotiateAsync(NodeProof.Credential("keyed", nonce, NodeProof.Sign(other.Key, NodeProof.ConnectPurpose, "keyed", nonce)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("signature does not match", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WithoutCredential_OrWithASharedTokenTheServerDoesNotKnow_IsRefused()
    {
        var (none, noneReason) = await NegotiateAsync(null);
        var (unknown, unknownReason) = await NegotiateAsync("some-shared-token");

        Assert.Equal(HttpStatusCode.Unauthorized, none);
        Assert.Contains("No agent credential", noneReason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown);
        Assert.Contains("not known", unknownReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_CredentialUsedOnce_CannotOpenASecondConnection()
    {
        var identity = await _kit.EnrollApprovedAsync("once", "echo");
        var nonce = (await Challenge("once")).Nonce;
        var credential = NodeProof.Credential("once", nonce, NodeProof.Sign(identity.Key, NodeProof.ConnectPurpose, "once", nonce));
        await using var first = new HubConnectionBuilder().WithMeshHub(_server.HubUrl, credential).Build();
        await first.StartMeshAsync();

        await using var replay = new HubConnectionBuilder().WithMeshHub(_server.HubUrl, credential).Build();
        var refusal = await Assert.ThrowsAnyAsync<MeshConnectionException>(() => replay.StartMeshAsync());

        Assert.Contains("already used", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeCredential_IsNoApiCredential_AdminEndpointsRefuseIt()
    {
        var identity = await _kit.EnrollApprovedAsync("no-admin", "echo");
        var credential = await _kit.Enrollment.ConnectCredentialAsync(identity);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = JsonContent.Create(new BootstrapTokenRequest(), options: OrbitMeshJson.Options) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);

        // Anonymous loopback access is on in this test server: a presented credential is still judged, never ignored.
        using var response = await _kit.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Register_AsAnotherNodesId_IsRefused()
    {
        var identity = await _kit.EnrollApprovedAsync("honest", "echo");
        await _kit.EnrollApprovedAsync("target", "echo");
        await using var connection = await ConnectRawAsync(identity);

        var refusal = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, new AgentRegistration { Id = "target", Commands = ["echo"] }));

        Assert.Contains("authenticated as node 'honest' and cannot register as 'target'", refusal.Message, StringComparison.Ordinal);
        Assert.Null(_server.Registry.GetAgent("target"));
    }

    [Fact]
    public async Task Register_ClaimingAnUngrantedCapability_IsRefused()
    {
        var identity = await _kit.EnrollApprovedAsync("modest", "echo", "linux");
        await using var connection = await ConnectRawAsync(identity);

        var refusal = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, new AgentRegistration { Id = "modest", Capabilities = ["linux", "gpu"] }));

        Assert.Contains("not granted the capabilities gpu", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(await _kit.AuditAsync("?type=auth.denied"), e => e.Subject == "modest");
    }

    [Fact]
    public async Task Command_OutsideTheGrants_IsNeverSent_NeitherAsAJobNorAnInvocation()
    {
        var identity = await _kit.EnrollApprovedAsync("limited", "echo");
        var ran = 0;
        await using var agent = _kit.NewNodeAgent(identity)
            .RegisterHandler("echo", c => c.Parameters)
            .RegisterHandler("sleep", _ => Interlocked.Increment(ref ran))
            .Build();
        await agent.ConnectAsync();

        // A job aimed at the node is refused at submission, naming the missing grant, instead of waiting Pending.
        var job = await Assert.ThrowsAsync<MeshInvocationException>(() => _server.Mesh.ExecuteAsync(new JobRequest { Command = "sleep", Target = AgentTarget.ForAgent("limited") }));
        var invocation = await Assert.ThrowsAsync<MeshInvocationException>(() => _server.Mesh.InvokeAsync<object>("limited", "sleep"));

        Assert.Equal(MeshErrorCodes.NotAllowed, job.Error.Code);
        Assert.Contains("not granted the capability 'sleep'", job.Message, StringComparison.Ordinal);
        Assert.Equal(MeshErrorCodes.NotAllowed, invocation.Error.Code);
        Assert.Contains("not granted the capability 'sleep'", invocation.Message, StringComparison.Ordinal);
        Assert.Equal(0, ran);
        Assert.Equal(JobStatus.Completed, (await _server.Mesh.ExecuteAsync(new JobRequest { Command = "echo", Target = AgentTarget.ForAgent("limited") })).Status);
    }

    [Fact]
    public async Task Grants_WithAWildcard_AndACommandMappedToACapability_AllowWhatTheyName()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Security.CommandCapabilities["tail"] = "logs.read");
        using var kit = new NodeTestKit(server);
        var identity = await kit.EnrollApprovedAsync("reader", "logs.*", "file.read");
        await using var agent = kit.NewNodeAgent(identity)
            .RegisterHandler("tail", _ => "tailed")
            .RegisterHandler("file.read", _ => "read")
            .RegisterHandler("file.write", _ => "written")
            .Build();
        await agent.ConnectAsync();

        Assert.Equal("tailed", await server.Mesh.InvokeAsync<string>("reader", "tail"));
        Assert.Equal("read", await server.Mesh.InvokeAsync<string>("reader", "file.read"));
        var refused = await Assert.ThrowsAsync<MeshInvocationException>(() => server.Mesh.InvokeAsync<string>("reader", "file.write"));
        Assert.Equal(MeshErrorCodes.NotAllowed, refused.Error.Code);
    }

    [Fact]
    public async Task Revoke_ClosesTheLiveConnectionAtOnce_AndTheNodeCannotReconnect()
    {
        var identity = await _kit.EnrollApprovedAsync("doomed", "sleep");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = _kit.NewNodeAgent(identity)
            .Configure(o => o.DrainTimeout = TimeSpan.FromMilliseconds(100))
            .RegisterHandler("sleep", async (_, ct) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return null;
            })
            .Build();
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Reconnecting += _ =>
        {
            reconnecting.TrySetResult();
            return Task.CompletedTask;
        };
        await agent.ConnectAsync();
        var job = await _server.Mesh.SubmitAsync(new JobRequest { Command = "sleep", Target = AgentTarget.ForAgent("doomed") });
        await Wait.ForAsync(started.Task, "the job to run on the node");

        await _kit.DecideAsync("doomed", "revoke", new NodeDecision { Reason = "stolen laptop" });

        await Wait.ForAsync(reconnecting.Task, "the revoked node's connection to close");
        Assert.Equal(0, _server.Services.GetRequiredService<NodeConnections>().Count("doomed"));
        await Wait.UntilAsync(() => _server.Registry.GetAgent("doomed")?.Status != AgentStatus.Ready, "the node to leave the Ready agents");
        await Wait.UntilAsync(async () => (await _kit.AuditAsync("?type=auth.failed")).Any(e => e.Subject == "doomed" && e.Reason == "the node was revoked"), "a reconnect to be refused as revoked");
        Assert.Equal(NodeStatus.Revoked, (await _kit.GetNodeAsync("doomed")).Status);
        Assert.NotEqual(JobStatus.Completed, (await _server.Mesh.GetJobAsync(job.Id))!.Status);
    }

    private async Task<NodeChallenge> Challenge(string nodeId)
    {
        using var response = await _kit.Http.PostAsJsonAsync("/api/enroll/challenge", new ChallengeRequest(nodeId), OrbitMeshJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<NodeChallenge>(OrbitMeshJson.Options))!;
    }

    private async Task<(HttpStatusCode Status, string Reason)> NegotiateAsync(string? credential)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mesh/negotiate?negotiateVersion=1");
        if (credential is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", credential);
        }

        using var response = await _kit.Http.SendAsync(request);
        return (response.StatusCode, response.Headers.TryGetValues("X-OrbitMesh-Error", out var values) ? string.Join(" ", values) : string.Empty);
    }

    private async Task<HubConnection> ConnectRawAsync(OrbitMesh.Agent.Security.NodeIdentity identity)
    {
        var connection = new HubConnectionBuilder()
            .WithMeshHub(_server.HubUrl, o => o.AccessTokenProvider = async () => await _kit.Enrollment.ConnectCredentialAsync(identity))
            .Build();
        await connection.StartMeshAsync();
        return connection;
    }
}
