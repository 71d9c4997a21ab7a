using System.Globalization;
using System.Text;

namespace OrbitMesh.Workflows.Tests.Triggers;

/// <summary>Webhook triggers: HMAC-SHA256 over timestamp and body, a replay window, one run per delivery, secrets shown once and rotated.</summary>
public sealed class WebhookTriggerTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static string Stamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static async Task<(TriggerHost Host, string Secret)> StartAsync(ManualTimeProvider clock)
    {
        var host = await TriggerHost.StartAsync(clock);
        await host.RegisterWorkflowAsync("release", "ref");
        var saved = await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "github", Workflow = "release", Kind = WorkflowTriggerKind.Webhook, ReplayWindowSeconds = 120 });
        Assert.True(saved.Created);
        Assert.StartsWith("whsec_", saved.Secret, StringComparison.Ordinal);
        return (host, saved.Secret!);
    }

    [Fact]
    public async Task ASignedDelivery_StartsOneRun_WithTheBodyAsParameters_AndItsReplayIsRefused()
    {
        var clock = new ManualTimeProvider(Start);
        var (host, secret) = await StartAsync(clock);
        await using var _ = host;
        var body = """{"ref":"v2.1.0","pusher":"ana"}"""u8.ToArray();
        var stamp = Stamp(clock.GetUtcNow());
        var signature = WorkflowTriggers.Signature(secret, stamp, body);

        var accepted = await host.Triggers.AcceptWebhookAsync("github", stamp, signature, body);
        Assert.Equal(WebhookStatus.Accepted, accepted.Status);
        var run = Assert.Single(await host.RunsAsync("release"));
        Assert.Equal(accepted.RunId, run.RunId);
        Assert.Equal("v2.1.0", run.Parameters!.Value.GetProperty("ref").GetString());
        Assert.Equal("webhook", run.Parameters!.Value.GetProperty("trigger").GetProperty("kind").GetString());

        var replay = await host.Triggers.AcceptWebhookAsync("github", stamp, signature, body);
        Assert.Equal(WebhookStatus.Unauthorized, replay.Status);
        Assert.Contains("replay", replay.Reason, StringComparison.Ordinal);
        Assert.Single(await host.RunsAsync("release"));
    }

    [Fact]
    public async Task BadSignatures_StaleTimestamps_AndBadBodies_AreRefused()
    {
        var clock = new ManualTimeProvider(Start);
        var (host, secret) = await StartAsync(clock);
        await using var _ = host;
        var body = """{"ref":"v1"}"""u8.ToArray();
        var stamp = Stamp(clock.GetUtcNow());

        async Task<WebhookOutcome> Send(string? timestamp, string? signature, byte[] content, string name = "github") =>
            await host.Triggers.AcceptWebhookAsync(name, timestamp, signature, content);

        Assert.Equal(WebhookStatus.NotFound, (await Send(stamp, WorkflowTriggers.Signature(secret, stamp, body), body, "gitlab")).Status);
        Assert.Equal(WebhookStatus.Unauthorized, (await Send(stamp, WorkflowTriggers.Signature("whsec_wrong", stamp, body), body)).Status);
        var tampered = """{"ref":"v9"}"""u8.ToArray();
        Assert.Contains("does not match", (await Send(stamp, WorkflowTriggers.Signature(secret, stamp, body), tampered)).Reason, StringComparison.Ordinal);
        Assert.Contains("missing", (await Send(stamp, null, body)).Reason, StringComparison.Ordinal);
        Assert.Contains("Unix seconds", (await Send("yesterday", WorkflowTriggers.Signature(secret, "yesterday", body), body)).Reason, StringComparison.Ordinal);
        var old = Stamp(clock.GetUtcNow().AddMinutes(-3));
        Assert.Contains("replay window", (await Send(old, WorkflowTriggers.Signature(secret, old, body), body)).Reason, StringComparison.Ordinal);
        var array = "[1,2]"u8.ToArray();
        Assert.Equal(WebhookStatus.BadRequest, (await Send(stamp, WorkflowTriggers.Signature(secret, stamp, array), array)).Status);
        var missingRef = """{"tag":"x"}"""u8.ToArray();
        var unprocessable = await Send(stamp, WorkflowTriggers.Signature(secret, stamp, missingRef), missingRef);
        Assert.Equal(WebhookStatus.Unprocessable, unprocessable.Status);
        Assert.Empty(await host.RunsAsync("release"));

        // A delivery whose run could not start may be sent again.
        Assert.Equal(WebhookStatus.Unprocessable, (await Send(stamp, WorkflowTriggers.Signature(secret, stamp, missingRef), missingRef)).Status);
        Assert.Equal(WebhookStatus.Accepted, (await Send(stamp, WorkflowTriggers.Signature(secret, stamp, body), body)).Status);
    }

    [Fact]
    public async Task ARotatedSecret_RetiresTheOldOne_AndADisabledHookRefuses()
    {
        var clock = new ManualTimeProvider(Start);
        var (host, secret) = await StartAsync(clock);
        await using var _ = host;
        var body = Encoding.UTF8.GetBytes("""{"ref":"v3"}""");
        var stamp = Stamp(clock.GetUtcNow());

        var rotated = await host.Triggers.RotateSecretAsync("github");
        Assert.NotEqual(secret, rotated.Secret);
        Assert.Equal(WebhookStatus.Unauthorized, (await host.Triggers.AcceptWebhookAsync("github", stamp, WorkflowTriggers.Signature(secret, stamp, body), body)).Status);

        await host.Triggers.SetEnabledAsync("github", false);
        Assert.Equal(WebhookStatus.Disabled, (await host.Triggers.AcceptWebhookAsync("github", stamp, WorkflowTriggers.Signature(rotated.Secret!, stamp, body), body)).Status);

        // Saving the trigger again keeps its secret (and shows none).
        var saved = await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "github", Workflow = "release", Kind = WorkflowTriggerKind.Webhook });
        Assert.False(saved.Created);
        Assert.Null(saved.Secret);
        Assert.Equal(WebhookStatus.Accepted, (await host.Triggers.AcceptWebhookAsync("github", stamp, WorkflowTriggers.Signature(rotated.Secret!, stamp, body), body)).Status);
    }

    [Fact]
    public async Task WithoutASecretProtector_WebhookTriggersAreRefused_NotStoredInClear()
    {
        await using var host = await TriggerHost.StartAsync(new ManualTimeProvider(Start), protector: false);
        await host.RegisterWorkflowAsync("release");
        var refused = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Triggers.SaveAsync(new WorkflowTrigger { Name = "github", Workflow = "release", Kind = WorkflowTriggerKind.Webhook }));
        Assert.Contains("IWorkflowSecretProtector", refused.Errors.Single().Message, StringComparison.Ordinal);
        Assert.Empty(await host.Triggers.ListAsync());
    }
}
