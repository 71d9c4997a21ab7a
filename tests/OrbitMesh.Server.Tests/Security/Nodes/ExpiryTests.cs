using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OrbitMesh.Protocol;
using OrbitMesh.Security;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>Time-bound credentials on a server whose clock the test moves: tokens, certificates, assignments.</summary>
public sealed class ExpiryTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private TestMeshServer _server = null!;
    private NodeTestKit _kit = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(
            o =>
            {
                // Heartbeat timeouts far beyond the certificate's life: only the certificate can close connections here.
                o.HeartbeatInterval = TimeSpan.FromMinutes(30);
                o.KeepAliveInterval = TimeSpan.FromSeconds(15);
                o.ClientTimeoutInterval = TimeSpan.FromHours(1);
                o.Security.CertificateLifetime = TimeSpan.FromMinutes(10);
                o.Security.CertificateRenewalWindow = TimeSpan.FromMinutes(3);
                o.Security.BootstrapTokenLifetime = TimeSpan.FromMinutes(5);
            },
            services: s => s.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time)));
        _kit = new NodeTestKit(_server);
    }

    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Token_PastItsLifetime_IsRefusedAsExpired()
    {
        var token = await _kit.CreateTokenAsync();
        Assert.Equal(_time.GetUtcNow().AddMinutes(5), token.ExpiresAt);

        _time.Advance(TimeSpan.FromMinutes(5));
        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("late"), token.Token!, null, []));

        Assert.Contains("the bootstrap token expired at", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certificate_Expiring_ClosesTheLiveConnection_AndTheNodeIsRefusedAfterwards()
    {
        var identity = await _kit.EnrollApprovedAsync("mortal", "echo");
        await using var agent = _kit.NewNodeAgent(identity).RegisterHandler("echo", c => c.Parameters).Build();
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Reconnecting += _ =>
        {
            reconnecting.TrySetResult();
            return Task.CompletedTask;
        };
        await agent.ConnectAsync();
        var connections = _server.Services.GetRequiredService<NodeConnections>();
        Assert.Equal(1, connections.Count("mortal"));

        _time.Advance(TimeSpan.FromMinutes(10));

        await Wait.ForAsync(reconnecting.Task, "the connection to close when the certificate expires");
        await Wait.UntilAsync(async () => (await _kit.AuditAsync("?type=auth.failed")).Any(e => e.Subject == "mortal" && e.Reason!.Contains("certificate expired", StringComparison.Ordinal)),
            "the reconnect to be refused because the certificate expired");
        Assert.Equal(0, connections.Count("mortal"));
    }

    [Fact]
    public async Task Certificate_InTheRenewalWindow_IsRenewedWithoutAnAdmin()
    {
        var identity = await _kit.EnrollApprovedAsync("renewing", "echo");
        var first = identity.Certificate!.SerialNumber;
        _time.Advance(TimeSpan.FromMinutes(6)); // 4 min left: outside the 3 min window
        await _kit.Enrollment.StatusAsync(identity);
        Assert.Equal(first, identity.Certificate!.SerialNumber);

        _time.Advance(TimeSpan.FromMinutes(2)); // 2 min left
        var renewed = await _kit.Enrollment.StatusAsync(identity);

        Assert.NotEqual(first, identity.Certificate!.SerialNumber);
        Assert.Equal(_time.GetUtcNow().AddMinutes(10), renewed.CertificateExpiresAt!.Value, TimeSpan.FromSeconds(1));
        Assert.Equal(["echo"], CertificateAuthority.CapabilitiesOf(identity.Certificate));
        Assert.Contains(await _kit.AuditAsync("?type=certificate.renewed"), e => e.Subject == "renewing");
        Assert.Equal(identity.Certificate.SerialNumber, (await _kit.GetNodeAsync("renewing")).CertificateSerial);
    }

    [Fact]
    public async Task Agent_RenewsItsCertificate_BeforeConnecting_InTheLastThirdOfItsLife()
    {
        var identity = await _kit.EnrollApprovedAsync("self-renewing", "echo");
        var first = identity.Certificate!.SerialNumber;

        _time.Advance(TimeSpan.FromMinutes(8));
        var credential = await _kit.Enrollment.ConnectCredentialAsync(identity, _time);

        Assert.StartsWith(NodeProof.CredentialPrefix, credential, StringComparison.Ordinal);
        Assert.NotEqual(first, identity.Certificate!.SerialNumber);
    }

    [Fact]
    public async Task Assignment_ReplayedAfterItsExpiry_OrWithASeenNonce_IsNotRun()
    {
        var identity = await _kit.EnrollApprovedAsync("replayed", "count");
        var logs = new CapturedLogs();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        await using var agent = _kit.NewNodeAgent(identity).WithLoggerFactory(loggerFactory).RegisterHandler("count", _ => 1).Build();
        await agent.ConnectAsync();
        var hub = _server.Services.GetRequiredService<IHubContext<AgentHub, IAgentClient>>();
        Assert.True(_server.Services.GetRequiredService<OrbitMesh.Server.Agents.AgentRegistry>().TryGetConnectionId("replayed", out var connectionId));
        var now = _time.GetUtcNow();

        await hub.Clients.Client(connectionId).AssignJob(new JobAssignment { JobId = "job-expired", Attempt = 1, FencingToken = 1, Command = "count", Nonce = "n-1", ExpiresAt = now.AddSeconds(-1) });
        await hub.Clients.Client(connectionId).AssignJob(new JobAssignment { JobId = "job-fresh", Attempt = 1, FencingToken = 2, Command = "count", Nonce = "n-2", ExpiresAt = now.AddMinutes(5) });
        await hub.Clients.Client(connectionId).AssignJob(new JobAssignment { JobId = "job-same-nonce", Attempt = 1, FencingToken = 3, Command = "count", Nonce = "n-2", ExpiresAt = now.AddMinutes(5) });

        // A real job afterwards proves the agent has handled the three (it handles assignments in order).
        var real = await _server.Mesh.ExecuteAsync(new JobRequest { Command = "count", Target = AgentTarget.ForAgent("replayed") });
        Assert.Equal(JobStatus.Completed, real.Status);

        // Before any acknowledgement (which the server would also refuse for a job it never sent), the agent
        // refuses the expired one and drops the one whose nonce it has seen; the fresh one it acknowledges.
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3115 && e.Message.Contains("job-expired", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3100 && e.Message.Contains("job-same-nonce", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id is 3100 or 3115 && e.Message.Contains("job-fresh", StringComparison.Ordinal));
    }
}
