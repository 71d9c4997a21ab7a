using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Security;

/// <summary>A secret parameter encrypted by one server process is decrypted by its successor (keys persisted in DATA/keys), and never written in clear.</summary>
public sealed class SecretParametersRestartTests(ITestOutputHelper output)
{
    private const string Secret = "restart-proof-secret-4711";

    [Fact]
    public async Task PendingJobWithASecret_SurvivesAKill_AndItsAgentGetsTheValue()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url })
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
            using var submitted = await http.PostAsync("/api/jobs", new StringContent(
                $$"""{"command":"echo","parameters":{"password":"{{Secret}}"},"secretParameters":["password"],"target":{"agentId":"late"},"idempotencyKey":"secret-restart"}""",
                Encoding.UTF8, "application/json"));
            Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        }

        await server.Process.KillAsync();
        Assert.True(Directory.Exists(Path.Combine(mesh.DataDirectory, "keys")), "the data-protection keys are kept beside the database");
        foreach (var file in Directory.GetFiles(mesh.DataDirectory))
        {
            Assert.False((await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)) >= 0, $"{Path.GetFileName(file)} holds the secret in clear.");
        }

        var restarted = await mesh.StartServerAsync(port: server.Port);
        await mesh.StartAgentAsync(restarted.Url, "late");
        using var api = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = restarted.Url };
        api.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
        using var again = await api.PostAsync("/api/jobs", new StringContent(
            $$"""{"command":"echo","parameters":{"password":"{{Secret}}"},"secretParameters":["password"],"target":{"agentId":"late"},"idempotencyKey":"secret-restart"}""", Encoding.UTF8, "application/json"));
        var jobId = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            job = await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
            return job.GetProperty("status").GetString() is "Completed" or "Failed" or "DeadLettered";
        }, "the recovered job to end", MeshProcesses.StartTimeout);

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Equal("[redacted]", job.GetProperty("parameters").GetProperty("password").GetString());
        // The echo handler returns what it received; only the exact secret value is redacted in results, so
        // "[redacted]" here shows the agent got the value (and that it is not stored in clear).
        Assert.Equal("[redacted]", job.GetProperty("result").GetProperty("password").GetString());
    }
}
