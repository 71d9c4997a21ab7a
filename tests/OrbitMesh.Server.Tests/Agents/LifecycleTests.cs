using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Server.Tests.Agents;

/// <summary>The agent lifecycle through the API: pause, resume, draining, and persistence across reconnects and restarts.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Paused_GetsNoNewWork_ResumedGetsItAgain()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5));
        await using var agent = server.NewAgent("worker").RegisterHandler("work", _ => "done").Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var pause = await http.PostAsync("/api/agents/worker/pause", null);
        Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        Assert.Equal("Paused", (await pause.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2100 && e.Message.Contains(job.Id, StringComparison.Ordinal)), "the job to be submitted");
        Assert.Equal(JobStatus.Pending, (await server.Mesh.GetJobAsync(job.Id))!.Status);

        using var resume = await http.PostAsync("/api/agents/worker/resume", null);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.Status == JobStatus.Completed, "the job to run after resuming");
    }

    [Fact]
    public async Task InvalidTransitions_Are409_UnknownAgents404()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server, "a1", []);
        using var http = new HttpClient { BaseAddress = server.Url };

        using var resumeReady = await http.PostAsync("/api/agents/a1/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, resumeReady.StatusCode);
        Assert.Contains("cannot take 'Resume'", (await resumeReady.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!, StringComparison.Ordinal);
        using var unknown = await http.PostAsync("/api/agents/ghost/pause", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Pause_SurvivesReconnectsAndServerRestarts()
    {
        var port = FreePort.Next();
        var db = Path.Combine(Path.GetTempPath(), "orbitmesh-life-" + Guid.NewGuid().ToString("N")[..8], "orbitmesh.db");
        await using (var server = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db)))
        {
            await using var agent = await ScriptedAgent.ConnectAsync(server, "sleepy", ["work"]);
            using var http = new HttpClient { BaseAddress = server.Url };
            using var pause = await http.PostAsync("/api/agents/sleepy/pause", null);
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        await using var restarted = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await Wait.UntilAsync(() => restarted.Registry.GetAgent("sleepy")?.Status == AgentStatus.Disconnected, "the remembered agent to be listed");
        await using var again = await ScriptedAgent.ConnectAsync(restarted, "sleepy", ["work"]);
        Assert.Equal(AgentStatus.Paused, restarted.Registry.GetAgent("sleepy")!.Status);
    }

    [Fact]
    public async Task StoppingAgent_IsListedStoppingThenStopped()
    {
        await using var server = await TestMeshServer.StartAsync();
        var statuses = new List<AgentStatus>();
        server.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OrbitMeshServerOptions>>();
        var agent = server.NewAgent("leaving").RegisterHandler("work", _ => null).Build();
        await agent.ConnectAsync();

        await agent.DisposeAsync();

        await Wait.UntilAsync(() => server.Registry.GetAgent("leaving")?.Status == AgentStatus.Disconnected, "the agent to leave");
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 2080 && e.Message.Contains("Stop → Stopping", StringComparison.Ordinal));
        var registry = (OrbitMesh.Server.Agents.AgentRegistry)server.Registry;
        Assert.Equal(AgentStatus.Stopped, registry.Find("leaving")!.Lifecycle);
        Assert.Empty(statuses);
    }
}
