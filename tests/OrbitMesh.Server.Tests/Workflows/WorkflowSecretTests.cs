using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using OrbitMesh.Storage;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Tests.Workflows;

/// <summary>
/// Workflow secrets against a real server and agent: started over REST, given only to the step that
/// reads them, never in clear in the run's history, REST answers, job records or logs, and still there
/// for a later step when the run resumes on a restarted server (same SQLite file, same key ring).
/// </summary>
public sealed class WorkflowSecretTests
{
    private const string Password = "pw-7Hq2-very-secret";
    private const string Token = "tok-A1b2C3d4";

    private const string Definition = """
        name: secret-release
        steps:
          - id: build
            command: build
            parameters:
              ref: ${{ params.ref }}
          - id: login
            command: login
            dependsOn: [build]
            parameters:
              user: deploy
              password: ${{ secrets.dbPassword }}
              header: "Bearer ${{ secrets.apiToken }}"
          - id: report
            command: report
            dependsOn: [login]
            parameters:
              note: done
        """;

    private static string NewDatabase() => Path.Combine(Path.GetTempPath(), "orbitmesh-wfsecrets-" + Guid.NewGuid().ToString("N")[..8], "orbitmesh.db");

    [Fact]
    public async Task ASecretGivenOverRest_ReachesOnlyTheReadingStepsHandler_AndIsNeverShownInClear()
    {
        await using var server = await TestMeshServer.StartAsync(services: s => s.AddOrbitMeshWorkflows());
        var received = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await using var agent = Handlers(server.NewAgent("secret-agent"), received).Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        await RegisterAsync(http);

        using var started = await http.PostAsJsonAsync("/api/workflows/secret-release/runs", new { parameters = new { @ref = "v2" }, secrets = new { dbPassword = Password, apiToken = Token } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var startedJson = await started.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Password, startedJson, StringComparison.Ordinal);
        var runId = JsonDocument.Parse(startedJson).RootElement.GetProperty("runId").GetString()!;
        var run = await WaitForRunAsync(http, runId);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(["apiToken", "dbPassword"], run.GetProperty("secretNames").EnumerateArray().Select(e => e.GetString()!).ToList());
        using (var login = JsonDocument.Parse(received["login"]))
        {
            Assert.Equal(Password, login.RootElement.GetProperty("password").GetString());
            Assert.Equal("Bearer " + Token, login.RootElement.GetProperty("header").GetString());
        }

        Assert.DoesNotContain(Password, received["build"], StringComparison.Ordinal);
        Assert.DoesNotContain(Password, received["report"], StringComparison.Ordinal);
        Assert.DoesNotContain(Token, received["report"], StringComparison.Ordinal);

        // Nothing the server stores or answers holds the values.
        var runJson = await http.GetStringAsync($"/api/workflow-runs/{runId}");
        var eventsText = await http.GetStringAsync($"/api/workflow-runs/{runId}/events");
        var loginJobId = run.GetProperty("steps")[1].GetProperty("jobId").GetString()!;
        var loginJob = await http.GetStringAsync($"/api/jobs/{loginJobId}");
        var audit = await http.GetStringAsync("/api/audit");
        var stored = await server.Services.GetRequiredService<IEventStore>().LoadAsync(WorkflowRunStore.StreamOf(runId), 1);
        var history = string.Concat(stored.Select(e => e.Payload.GetRawText()));
        var logs = string.Join('\n', server.Logs.Entries.Select(e => e.Message + " " + e.Exception));
        foreach (var (what, text) in new[] { ("run", runJson), ("events", eventsText), ("login job", loginJob), ("audit", audit), ("history", history), ("logs", logs) })
        {
            Assert.False(text.Contains(Password, StringComparison.Ordinal), $"the {what} holds the password");
            Assert.False(text.Contains(Token, StringComparison.Ordinal), $"the {what} holds the token");
        }

        Assert.Contains("sealedSecrets", history, StringComparison.Ordinal);
        Assert.Contains("[redacted]", loginJob, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadSecretsOverRest_Are400WithEveryErrorNamed_AndEchoNoValue()
    {
        await using var server = await TestMeshServer.StartAsync(services: s => s.AddOrbitMeshWorkflows());
        using var http = new HttpClient { BaseAddress = server.Url };
        await RegisterAsync(http);

        using var notText = await http.PostAsJsonAsync("/api/workflows/secret-release/runs", new { secrets = new { dbPassword = 12345, apiToken = Token } });
        Assert.Equal(HttpStatusCode.BadRequest, notText.StatusCode);
        var notTextBody = await notText.Content.ReadAsStringAsync();
        Assert.Contains("invalid_secret", notTextBody, StringComparison.Ordinal);
        Assert.Contains("'dbPassword' must be text", notTextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("12345", notTextBody, StringComparison.Ordinal);

        using var missing = await http.PostAsJsonAsync("/api/workflows/secret-release/runs", new { secrets = new { dbPassword = Password, typo = Token } });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var missingBody = await missing.Content.ReadAsStringAsync();
        Assert.Contains("missing_secret", missingBody, StringComparison.Ordinal);
        Assert.Contains("apiToken", missingBody, StringComparison.Ordinal);
        Assert.Contains("'typo' is read by no step", missingBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, missingBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, missingBody, StringComparison.Ordinal);

        using var notObject = await http.PostAsync("/api/workflows/secret-release/runs", new StringContent("""{"secrets":["a"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notObject.StatusCode);
        Assert.Empty(await server.Services.GetRequiredService<WorkflowEngine>().ListRunsAsync(new WorkflowRunQuery()));
    }

    [Fact]
    public async Task ARunResumedByARestartedServer_StillGivesTheSecretToItsLaterStep()
    {
        var db = NewDatabase();
        var keys = new EphemeralDataProtectionProvider();
        void Services(IServiceCollection s)
        {
            s.AddOrbitMeshWorkflows();
            s.AddSingleton<IDataProtectionProvider>(keys); // the same key ring across the restart, as DATA/keys gives a real server
        }

        string runId;
        await using (var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5), services: Services, storage: b => b.UseSqlite(db)))
        {
            // No agent yet: the first step's job waits, and the server stops with the run in flight.
            using var http = new HttpClient { BaseAddress = server.Url };
            await RegisterAsync(http);
            var run = await server.Services.GetRequiredService<IWorkflowClient>()
                .StartWorkflowAsync("secret-release", OrbitMeshJson.ToElement(new { @ref = "v3" }), new Dictionary<string, string> { ["dbPassword"] = Password, ["apiToken"] = Token });
            runId = run.RunId;
            await Wait.UntilAsync(async () => (await server.Services.GetRequiredService<WorkflowEngine>().GetRunAsync(runId))!.Steps[0].Status == WorkflowStepStatus.Running, "step build to be in flight");
        }

        await using var restarted = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5), services: Services, storage: b => b.UseSqlite(db));
        var received = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await using var agent = Handlers(restarted.NewAgent("after-restart"), received).Build();
        await agent.ConnectAsync();
        var done = await Wait.ForAsync(restarted.Services.GetRequiredService<WorkflowEngine>().WaitForRunAsync(runId), "the resumed run to end", TimeSpan.FromSeconds(60));

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        using var login = JsonDocument.Parse(received["login"]);
        Assert.Equal(Password, login.RootElement.GetProperty("password").GetString());
        Assert.DoesNotContain(Password, received["report"], StringComparison.Ordinal);
        var stored = await restarted.Services.GetRequiredService<IEventStore>().LoadAsync(WorkflowRunStore.StreamOf(runId), 1);
        Assert.DoesNotContain(Password, string.Concat(stored.Select(e => e.Payload.GetRawText())), StringComparison.Ordinal);
    }

    private static OrbitMesh.Agent.MeshAgentBuilder Handlers(OrbitMesh.Agent.MeshAgentBuilder agent, ConcurrentDictionary<string, string> received)
    {
        foreach (var command in new[] { "build", "login", "report" })
        {
            agent.RegisterHandler(command, c =>
            {
                received[command] = c.Parameters?.GetRawText() ?? "null";
                return new { ok = true };
            });
        }

        return agent;
    }

    private static async Task RegisterAsync(HttpClient http)
    {
        using var registered = await http.PostAsync("/api/workflows", new StringContent(Definition, Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
    }

    private static async Task<JsonElement> WaitForRunAsync(HttpClient http, string runId)
    {
        JsonElement run = default;
        await Wait.UntilAsync(async () =>
        {
            run = await http.GetFromJsonAsync<JsonElement>($"/api/workflow-runs/{runId}");
            return run.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled";
        }, $"run {runId} to end");
        return run;
    }
}
