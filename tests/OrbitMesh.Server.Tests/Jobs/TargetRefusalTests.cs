using System.Net;
using System.Net.Http.Json;

namespace OrbitMesh.Server.Tests.Jobs;

/// <summary>A job aimed at one agent that can never run it is refused at submission, with the reason (issue 12, item 14).</summary>
public sealed class TargetRefusalTests
{
    [Fact]
    public async Task AJobForACommandTheTargetAgentHasNoHandlerFor_IsRefusedAtSubmission()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("only-echo").RegisterHandler("echo", c => c.Parameters).Build();
        await agent.ConnectAsync();

        var refused = await Assert.ThrowsAsync<MeshInvocationException>(() => server.Mesh.SubmitAsync(new JobRequest { Command = "system.info", Target = AgentTarget.ForAgent("only-echo") }));

        Assert.Equal(MeshErrorCodes.UnknownCommand, refused.Error.Code);
        Assert.Contains("Agent 'only-echo' has no handler for 'system.info' (it handles echo)", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await server.Mesh.ListJobsAsync(new JobQuery()));

        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await http.PostAsJsonAsync("/api/jobs", new { command = "system.info", target = new { agentId = "only-echo" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("no handler for 'system.info'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJobForAnUnknownOrHandlingAgent_IsAcceptedAsBefore()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("worker").RegisterHandler("echo", c => c.Parameters).Build();
        await agent.ConnectAsync();

        Assert.Equal(JobStatus.Completed, (await server.Mesh.ExecuteAsync(new JobRequest { Command = "echo", Target = AgentTarget.ForAgent("worker") })).Status);
        // An agent not known yet may connect later with the handler: the job waits for it.
        var waiting = await server.Mesh.SubmitAsync(new JobRequest { Command = "echo", Target = AgentTarget.ForAgent("later") });
        Assert.Equal(JobStatus.Pending, waiting.Status);
    }
}
