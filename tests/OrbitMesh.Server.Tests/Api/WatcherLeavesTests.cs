using Microsoft.Extensions.Logging;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>A client leaving an event stream is normal: nothing is logged as an error.</summary>
public sealed class WatcherLeavesTests
{
    [Fact]
    public async Task WatcherDisconnectsMidStream_NoErrorIsLogged_AndTheJobFinishes()
    {
        await using var server = await TestMeshServer.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = server.NewAgent("watched").RegisterHandler("hold", async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return "done";
        }).Build();
        await agent.ConnectAsync();
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "hold" });
        await server.WaitForAgentAsync("watched", AgentStatus.Running);

        using (var http = new HttpClient { BaseAddress = server.Url })
        using (var cancel = new CancellationTokenSource())
        {
            using var response = await http.GetAsync($"/api/jobs/{job.Id}/events", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            Assert.StartsWith("id: ", await reader.ReadLineAsync(cancel.Token), StringComparison.Ordinal);
            await cancel.CancelAsync();
        }

        await Wait.UntilAsync(
            () => server.Logs.Contains(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.EventId.Id == 2 && e.Message.Contains("/events", StringComparison.Ordinal)),
            "the server finishes the abandoned event request");
        release.SetResult();
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))?.Status == JobStatus.Completed, "the job completes");

        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
