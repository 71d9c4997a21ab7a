using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>The trigger REST API against a real server and agent: files in, signed webhooks, cron on the real clock, posted and built-in events.</summary>
public sealed class TriggerApiTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private OrbitMesh.Agent.MeshAgent _agent = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(services: s => s.AddOrbitMeshWorkflows().ConfigureWorkflowTriggers(o => o.MaxWebhookBodyBytes = 4096));
        _agent = _server.NewAgent("trigger-agent").RegisterHandler("echo", c => c.Parameters).Build();
        await _agent.ConnectAsync();
        _http = new HttpClient { BaseAddress = _server.Url };
        using var registered = await SendAsync(HttpMethod.Post, "/api/workflows", """
            name: release
            requiredParameters: [ref]
            steps:
              - id: ship
                command: echo
                parameters:
                  ref: ${{ params.ref }}
            """, "application/yaml");
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AWebhookTrigger_FromYaml_RunsOnSignedDeliveries_AndRefusesAndAuditsTheRest()
    {
        using var created = await SendAsync(HttpMethod.Post, "/api/triggers", "name: github\nworkflow: release\nkind: webhook\n", "application/yaml");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        var body = """{"ref":"v5.0.0"}""";
        using var accepted = await DeliverAsync("github", secret, body);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var runId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetString()!;
        var run = await WaitForRunAsync(runId);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal("v5.0.0", run.GetProperty("steps")[0].GetProperty("output").GetProperty("ref").GetString());

        using var replay = await DeliverAsync("github", secret, body, accepted.RequestMessage!.Headers.GetValues(TimestampHeader).Single());
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        using var forged = await DeliverAsync("github", "whsec_guess", body);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        using var unknown = await DeliverAsync("gitlab", secret, body);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var huge = await DeliverAsync("github", secret, $$"""{"ref":"{{new string('x', 5000)}}"}""");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        var audit = await _http.GetFromJsonAsync<JsonElement>("/api/audit?type=webhook.refused");
        var reasons = audit.EnumerateArray().Select(e => e.GetProperty("reason").GetString()).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains(reasons, r => r!.Contains("replay", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r!.Contains("does not match", StringComparison.Ordinal));

        // The trigger lists without its secret, exports as YAML, and is gone once deleted.
        var listed = await _http.GetStringAsync("/api/triggers");
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.DoesNotContain("sealed", listed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("kind: webhook", await _http.GetStringAsync("/api/triggers/github?format=yaml"), StringComparison.Ordinal);
        using var deleted = await _http.DeleteAsync("/api/triggers/github");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var afterDelete = await DeliverAsync("github", secret, body);
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
    }

    [Fact]
    public async Task ACronTrigger_FiresOnTheRealClock_UntilDisabled()
    {
        using var created = await SendAsync(HttpMethod.Post, "/api/triggers", """{"name":"every-second","workflow":"release","kind":"cron","schedule":"* * * * * *","parameters":{"ref":"cron"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await Wait.UntilAsync(async () => (await ListRunsAsync()).Count >= 2, "two runs a second apart");
        using var disabled = await _http.PostAsync("/api/triggers/every-second/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var info = await _http.GetFromJsonAsync<JsonElement>("/api/triggers/every-second");
        Assert.False(info.GetProperty("trigger").GetProperty("enabled").GetBoolean());
        var scheduled = info.GetProperty("lastScheduledAt").GetDateTimeOffset();
        var claimed = info.GetProperty("lastClaimedAt").GetDateTimeOffset();
        Assert.InRange(claimed - scheduled, TimeSpan.Zero, TimeSpan.FromMinutes(1));

        // Nothing fires once disabled: the last claimed time stays where it was through the next scheduled second.
        var runs = (await ListRunsAsync()).Count;
        using var fired = await _http.PostAsync("/api/triggers/every-second/fire", JsonContent.Create(new { parameters = new { @ref = "by-hand" } }));
        Assert.Equal(HttpStatusCode.Conflict, fired.StatusCode);
        await Wait.UntilAsync(async () => DateTimeOffset.UtcNow > scheduled.AddSeconds(2) && (await ListRunsAsync()).Count >= runs, "two seconds to pass");
        Assert.Equal(scheduled, (await _http.GetFromJsonAsync<JsonElement>("/api/triggers/every-second")).GetProperty("lastScheduledAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Events_PostedAndBuiltIn_StartTheRunsTheirTriggersFilterFor()
    {
        using var onDeploy = await SendAsync(HttpMethod.Post, "/api/triggers", """{"name":"on-deploy","workflow":"release","kind":"event","event":"deploy.requested","filter":"event.data.env == 'prod'"}""");
        Assert.Equal(HttpStatusCode.Created, onDeploy.StatusCode);
        using var onAgent = await SendAsync(HttpMethod.Post, "/api/triggers", """{"name":"on-agent","workflow":"release","kind":"event","event":"agent.connected","filter":"event.data.agentId == 'late-agent'","parameters":{"ref":"agent"}}""");
        Assert.Equal(HttpStatusCode.Created, onAgent.StatusCode);

        using var posted = await SendAsync(HttpMethod.Post, "/api/events", """{"type":"deploy.requested","data":{"env":"prod","ref":"v7"}}""");
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var firing = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runs").EnumerateArray().Single();
        Assert.True(firing.GetProperty("started").GetBoolean());
        var run = await WaitForRunAsync(firing.GetProperty("runId").GetString()!);
        Assert.Equal("v7", run.GetProperty("parameters").GetProperty("ref").GetString());

        using var skipped = await SendAsync(HttpMethod.Post, "/api/events", """{"type":"deploy.requested","data":{"env":"test","ref":"v8"}}""");
        Assert.Empty((await skipped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runs").EnumerateArray());
        using var reserved = await SendAsync(HttpMethod.Post, "/api/events", """{"type":"agent.connected","data":{"agentId":"late-agent"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);

        await using var late = _server.NewAgent("late-agent").RegisterHandler("echo", c => c.Parameters).Build();
        await late.ConnectAsync();
        await Wait.UntilAsync(async () => (await ListRunsAsync()).Any(r => r.GetProperty("parameters").GetProperty("ref").GetString() == "agent"), "the agent.connected run");
    }

    [Fact]
    public async Task InvalidTriggers_AreRefusedWithEveryErrorLocated()
    {
        using var bad = await SendAsync(HttpMethod.Post, "/api/triggers", "name: nightly\nworkflow: nope\nkind: cron\nschedule: \"0 0 30 2 *\"\n", "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid_trigger", problem.GetProperty("code").GetString());
        var error = problem.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal("/schedule", error.GetProperty("path").GetString());
        Assert.Equal(4, error.GetProperty("line").GetInt32());

        using var noWorkflow = await SendAsync(HttpMethod.Post, "/api/triggers", """{"name":"x","workflow":"nope"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noWorkflow.StatusCode);
        Assert.Contains("No workflow named 'nope'", await noWorkflow.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var missing = await _http.PostAsync("/api/triggers/ghost/enable", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private const string TimestampHeader = "X-OrbitMesh-Timestamp";

    private async Task<HttpResponseMessage> DeliverAsync(string hook, string secret, string body, string? timestamp = null)
    {
        timestamp ??= DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/hooks/{hook}") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add("X-OrbitMesh-Signature", WorkflowTriggers.Signature(secret, timestamp, bytes));
        return await _http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        return await _http.SendAsync(request);
    }

    private async Task<JsonElement> WaitForRunAsync(string runId)
    {
        JsonElement run = default;
        await Wait.UntilAsync(async () => (run = await _http.GetFromJsonAsync<JsonElement>($"/api/workflow-runs/{runId}")).GetProperty("status").GetString() is "succeeded" or "failed", $"run {runId} to end");
        return run;
    }

    private async Task<IReadOnlyList<JsonElement>> ListRunsAsync()
    {
        var list = await _http.GetFromJsonAsync<JsonElement>("/api/workflow-runs?workflow=release&limit=1000");
        var runs = new List<JsonElement>();
        foreach (var summary in list.EnumerateArray())
        {
            runs.Add(await _http.GetFromJsonAsync<JsonElement>($"/api/workflow-runs/{summary.GetProperty("runId").GetString()}"));
        }

        return runs;
    }
}
