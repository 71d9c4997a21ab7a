using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using OrbitMesh.Server.Jobs;

namespace OrbitMesh.Server.Tests.Jobs;

/// <summary>
/// Secret parameters are encrypted at rest, redacted in the API, events and logs, and in clear only in
/// the assignment the agent receives.
/// </summary>
public sealed class SecretParametersTests
{
    private const string Secret = "hunter2-very-secret-value";

    [Fact]
    public async Task HandlerEchoingASecret_IsRedactedInResultProgressItemsErrorsAndLogs()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("echoer")
            .RegisterHandler("leak", async (c, ct) =>
            {
                var password = c.GetParameter<string>("password");
                await c.ReportProgressAsync(50, $"connecting with {password}", ct);
                return new { said = $"the password is {password}", nested = new[] { password }, host = c.GetParameter<string>("host") };
            })
            .RegisterHandler("leak.fail", c => throw new InvalidOperationException($"login with {c.GetParameter<string>("password")} failed"))
            .Build();
        await agent.ConnectAsync();
        var parameters = JsonSerializer.SerializeToElement(new { host = "db-1", password = Secret });

        var events = new List<JobEvent>();
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "leak", Parameters = parameters, SecretParameters = ["password"], Pattern = ExecutionPattern.LongRunning });
        await foreach (var jobEvent in server.Mesh.WatchJobAsync(job.Id))
        {
            events.Add(jobEvent);
        }

        var done = (await server.Mesh.GetJobAsync(job.Id))!;
        var failed = await server.Mesh.ExecuteAsync(new JobRequest { Command = "leak.fail", Parameters = parameters, SecretParameters = ["password"] });

        Assert.Equal(JobStatus.Completed, done.Status);
        var result = done.Result!.Value;
        Assert.Equal("the password is [redacted]", result.GetProperty("said").GetString());
        Assert.Equal("[redacted]", result.GetProperty("nested")[0].GetString());
        Assert.Equal("db-1", result.GetProperty("host").GetString());
        Assert.Contains(events, e => e.Type == JobEventType.Progress && e.Message == "connecting with [redacted]");
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains("login with [redacted] failed", failed.Error!.Message, StringComparison.Ordinal);
        // OrbitMesh's own logs (SignalR's Debug log of hub arguments shows whatever an agent sends; it is off at Information).
        Assert.DoesNotContain(server.Logs.Entries, e => e.Category.StartsWith("OrbitMesh", StringComparison.Ordinal) && e.Message.Contains(Secret, StringComparison.Ordinal));
        var stored = await server.Services.GetRequiredService<OrbitMesh.Storage.IJobStore>().GetEventsAsync(job.Id);
        Assert.NotEmpty(stored);
        Assert.DoesNotContain(stored, e => JsonSerializer.Serialize(e, OrbitMeshJson.Options).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SecretParameter_IsRedactedEverywhere_EncryptedOnDisk_AndClearOnlyForTheAgent()
    {
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-secrets-" + Guid.NewGuid().ToString("N")[..8]);
        var db = Path.Combine(directory, "orbitmesh.db");
        try
        {
            await using var server = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db));
            await using var agent = await ScriptedAgent.ConnectAsync(server, "vault", ["deploy"]);
            using var http = new HttpClient { BaseAddress = server.Url };

            using var submitted = await http.PostAsync("/api/jobs", new StringContent(
                $$"""{"command":"deploy","parameters":{"host":"db-1","password":"{{Secret}}"},"secretParameters":["password"]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
            var jobId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

            // The agent gets the value.
            var assignment = await agent.NextAssignmentAsync();
            Assert.Equal(Secret, assignment.Parameters!.Value.GetProperty("password").GetString());
            Assert.Equal("db-1", assignment.Parameters!.Value.GetProperty("host").GetString());

            // The API, the record and the events do not.
            var view = await http.GetStringAsync($"/api/jobs/{jobId}");
            Assert.DoesNotContain(Secret, view, StringComparison.Ordinal);
            Assert.Equal(JobSecrets.Redacted, JsonDocument.Parse(view).RootElement.GetProperty("parameters").GetProperty("password").GetString());
            var record = (await server.Mesh.GetJobAsync(jobId))!;
            Assert.Equal(JobSecrets.Redacted, record.Parameters!.Value.GetProperty("password").GetString());
            Assert.NotNull(record.ProtectedSecrets);
            Assert.DoesNotContain(Secret, record.ProtectedSecrets, StringComparison.Ordinal);

            Assert.True((await agent.AckAsync(assignment)).Accepted);
            await agent.CompleteAsync(assignment, "deployed");
            await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the job completes");
            var events = await http.GetStringAsync($"/api/jobs/{jobId}/events");
            Assert.DoesNotContain(Secret, events, StringComparison.Ordinal);
            Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(Secret, StringComparison.Ordinal));

            // Nothing on disk holds it: the database and its write-ahead log (the lock file, held by the
            // server and empty, cannot be opened while it runs).
            foreach (var file in Directory.GetFiles(directory).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy);
                Assert.False(copy.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)) >= 0, $"{Path.GetFileName(file)} holds the secret in clear.");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task SecretParameters_NamingAMissingParameter_AreRefused()
    {
        await using var server = await TestMeshServer.StartAsync();

        var error = await Assert.ThrowsAsync<MeshValidationException>(() => server.Mesh.SubmitAsync(new JobRequest
        {
            Command = "deploy",
            Parameters = JsonSerializer.SerializeToElement(new { host = "db-1" }),
            SecretParameters = ["password"],
        }));

        Assert.Contains("secretParameters names 'password', which is not a parameter.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WithOtherKeys_FailsClearly_InsteadOfSendingGarbage()
    {
        var sealer = new JobSecrets(new EphemeralDataProtectionProvider());
        var other = new JobSecrets(new EphemeralDataProtectionProvider());
        var record = sealer.Seal(new JobRecord
        {
            Id = "job_x",
            Command = "deploy",
            Parameters = JsonSerializer.SerializeToElement(new { password = Secret, n = 1 }),
            SecretParameters = ["password"],
        });

        Assert.Equal(Secret, sealer.Open(record, record.Parameters)!.Value.GetProperty("password").GetString());
        Assert.Equal(1, sealer.Open(record, record.Parameters)!.Value.GetProperty("n").GetInt32());
        var error = Assert.Throws<JobSecretsUnavailableException>(() => other.Open(record, record.Parameters));
        Assert.Contains("cannot be decrypted", error.Message, StringComparison.Ordinal);
    }
}
