using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>Secret run parameters: read as ${{ secrets.NAME }}, sealed in run.started, given only to the steps that read them, reopened after a restart.</summary>
public sealed class WorkflowSecretsTests
{
    private const string Password = "hunter2-s3cr3t-value";

    private static WorkflowDefinition Definition(string name = "secret-deploy") => WorkflowJson.Deserialize($$$"""
        {
          "name": "{{{name}}}",
          "steps": [
            { "id": "build", "command": "build", "parameters": { "ref": "${{ params.ref }}" } },
            { "id": "login", "command": "login", "dependsOn": ["build"],
              "parameters": { "user": "deploy", "password": "${{ secrets.dbPassword }}", "header": { "auth": "Bearer ${{ secrets.apiToken }}" } } },
            { "id": "report", "command": "report", "dependsOn": ["login"], "parameters": { "note": "done" } }
          ]
        }
        """);

    private static Dictionary<string, string> Secrets() => new(StringComparer.Ordinal) { ["dbPassword"] = Password, ["apiToken"] = "tok-9f8e7d" };

    private static Task<EngineHost> StartAsync(FakeMesh mesh, IEventStore? events = null, IWorkflowSecretProtector? protector = null) =>
        EngineHost.StartAsync(mesh, events, s => s.AddSingleton(protector ?? new TestProtector("key-1")));

    [Fact]
    public async Task ASecret_ReachesOnlyTheStepThatReadsIt_AsSecretParameters_AndIsStoredSealed()
    {
        var mesh = new FakeMesh();
        mesh.Handle("build", r => new { built = true });
        mesh.Handle("login", r => new { echoed = r.Parameters!.Value.GetProperty("password").GetString() });
        mesh.Handle("report", r => new { ok = true });
        await using var host = await StartAsync(mesh);

        var started = await host.Engine.StartRunAsync(Definition(), OrbitMeshJson.ToElement(new { @ref = "v1" }), Secrets());
        var run = await Wait.ForAsync(host.Engine.WaitForRunAsync(started.RunId), "the run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        var login = Assert.Single(mesh.Ran, r => r.Command == "login");
        Assert.Equal(["password", "header"], login.SecretParameters);
        Assert.Equal(Password, login.Parameters!.Value.GetProperty("password").GetString());
        Assert.Equal("Bearer tok-9f8e7d", login.Parameters!.Value.GetProperty("header").GetProperty("auth").GetString());
        foreach (var other in mesh.Ran.Where(r => r.Command != "login"))
        {
            Assert.Null(other.SecretParameters);
            Assert.DoesNotContain(Password, other.Parameters?.GetRawText() ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain("tok-9f8e7d", other.Parameters?.GetRawText() ?? string.Empty, StringComparison.Ordinal);
        }

        // The run shows the names only; its history holds the values sealed, never in clear.
        Assert.Equal(["apiToken", "dbPassword"], run.SecretNames);
        var stored = await host.Events.LoadAsync(WorkflowRunStore.StreamOf(run.RunId), 1);
        var raw = string.Concat(stored.Select(e => e.Payload.GetRawText()));
        Assert.DoesNotContain(Password, raw, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-9f8e7d", raw, StringComparison.Ordinal);
        Assert.StartsWith("sealed(key-1):", stored[0].Payload.GetProperty("sealedSecrets").GetString(), StringComparison.Ordinal);
        var index = await host.Events.LoadAsync(WorkflowRunStore.IndexStream, 1);
        Assert.DoesNotContain(Password, string.Concat(index.Select(e => e.Payload.GetRawText())), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, JsonSerializer.Serialize(run, OrbitMeshJson.Options), StringComparison.Ordinal);
        var watched = await host.EventsOfAsync(run.RunId);
        Assert.DoesNotContain(Password, JsonSerializer.Serialize(watched, OrbitMeshJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClassStepOrJobThatEchoesASecret_IsRecordedWithTheValueMasked()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("build", "report");
        mesh.Handle("login", r => throw new InvalidOperationException("login refused for " + r.Parameters!.Value.GetProperty("password").GetString()));
        await using var host = await StartAsync(mesh);

        var started = await host.Engine.StartRunAsync(Definition(), OrbitMeshJson.ToElement(new { @ref = "v1" }), Secrets());
        var run = await Wait.ForAsync(host.Engine.WaitForRunAsync(started.RunId), "the run to end");

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        var login = run.Steps.Single(s => s.StepId == "login");
        Assert.Contains("login refused for ***", login.Error, StringComparison.Ordinal);
        var stored = await host.Events.LoadAsync(WorkflowRunStore.StreamOf(run.RunId), 1);
        Assert.DoesNotContain(Password, string.Concat(stored.Select(e => e.Payload.GetRawText())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadSecrets_AreRefusedWithEveryErrorNamed_AndNothingStarts()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("build", "login", "report");
        await using var host = await StartAsync(mesh);
        await host.Engine.RegisterAsync(Definition());

        var missing = await Assert.ThrowsAsync<WorkflowValidationException>(() =>
            host.Engine.StartRunAsync("secret-deploy", null, new Dictionary<string, string> { ["dbPassword"] = Password }));
        var error = Assert.Single(missing.Errors);
        Assert.Equal(WorkflowErrorCodes.MissingSecret, error.Code);
        Assert.Contains("apiToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("step 'login'", error.Message, StringComparison.Ordinal);

        var none = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync("secret-deploy"));
        Assert.Equal(2, none.Errors.Count(e => e.Code == WorkflowErrorCodes.MissingSecret));

        var bad = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync("secret-deploy", null, new Dictionary<string, string>(Secrets())
        {
            ["unused"] = "x",
            ["bad-name"] = "y",
            ["9lives"] = "z",
            ["huge"] = new string('a', WorkflowRunSecrets.MaxValueLength + 1),
        }));
        Assert.Equal(4, bad.Errors.Count);
        Assert.All(bad.Errors, e => Assert.Equal(WorkflowErrorCodes.InvalidSecret, e.Code));
        Assert.Contains(bad.Errors, e => e.Message.Contains("'unused' is read by no step", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.Message.Contains("'bad-name' is invalid", StringComparison.Ordinal));
        Assert.DoesNotContain(bad.Errors, e => e.Message.Contains(Password, StringComparison.Ordinal));
        Assert.Empty(mesh.Asked);
        Assert.Empty(await host.Engine.ListRunsAsync(new WorkflowRunQuery()));
    }

    [Fact]
    public async Task WithoutAProtector_SecretsAreRefused_NotStoredInClear()
    {
        var mesh = new FakeMesh();
        await using var host = await EngineHost.StartAsync(mesh);
        var refused = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync(Definition(), null, Secrets()));
        Assert.Contains("IWorkflowSecretProtector", refused.Errors.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheValidator_RefusesSecretsInConditions_AndMalformedSecretNames()
    {
        var definition = WorkflowJson.Deserialize("""
            {
              "name": "bad-secrets",
              "steps": [
                { "id": "a", "command": "a", "if": "secrets.token == 'x'" },
                { "id": "b", "command": "b", "parameters": { "t": "${{ secrets.token.length }}", "u": "${{ secrets['bad-name'] }}", "ok": "${{ secrets.token }}" } }
              ]
            }
            """);

        var errors = WorkflowValidator.Validate(definition);

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StepId == "a" && e.Message.Contains("secrets may be read only in ${{ }} templates in parameters", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "b" && e.Message.Contains("secrets.NAME", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "b" && e.Message.Contains("'bad-name'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ARestartedEngine_DecryptsTheSecrets_AndGivesThemToTheLaterStep()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var building = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("build", async (_, _) => { building.TrySetResult(); await release.Task; return new { built = true }; });
        mesh.Succeed("login", "report");
        var protector = new TestProtector("key-1");

        string runId;
        await using (var first = await StartAsync(mesh, events, protector))
        {
            runId = (await first.Engine.StartRunAsync(Definition(), OrbitMeshJson.ToElement(new { @ref = "v1" }), Secrets())).RunId;
            await Wait.ForAsync(building.Task, "step build to be in flight");
        }

        Assert.DoesNotContain(mesh.Asked, r => r.Command == "login");
        await using var second = await StartAsync(mesh, events, protector);
        release.SetResult();
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the resumed run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        var login = Assert.Single(mesh.Ran, r => r.Command == "login");
        Assert.Equal(Password, login.Parameters!.Value.GetProperty("password").GetString());
        Assert.Equal(["password", "header"], login.SecretParameters);
    }

    [Fact]
    public async Task ARestartWithOtherKeys_FailsTheRunWithAClearReason_InsteadOfRunningWithoutItsSecrets()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var building = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("build", async (_, ct) => { building.TrySetResult(); await Task.Delay(Timeout.Infinite, ct); return null; });

        string runId;
        await using (var first = await StartAsync(mesh, events, new TestProtector("key-1")))
        {
            runId = (await first.Engine.StartRunAsync(Definition(), null, Secrets())).RunId;
            await Wait.ForAsync(building.Task, "step build to be in flight");
        }

        await using var second = await StartAsync(mesh, events, new TestProtector("key-2"));
        var run = await second.Engine.GetRunAsync(runId);

        Assert.Equal(WorkflowRunStatus.Failed, run!.Status);
        Assert.Contains("its secrets cannot be decrypted", run.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(mesh.Asked, r => r.Command == "login");
    }

    /// <summary>A stand-in for Data Protection: reversible under its own key only, and visibly not the plaintext.</summary>
    private sealed class TestProtector(string key) : IWorkflowSecretProtector
    {
        private readonly string _prefix = $"sealed({key}):";

        public string Protect(string plaintext) => _prefix + Convert.ToBase64String(Encoding.UTF8.GetBytes(plaintext));

        public string Unprotect(string protectedValue) => protectedValue.StartsWith(_prefix, StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(protectedValue[_prefix.Length..]))
            : throw new CryptographicException("The key was not found in the key ring.");
    }
}
