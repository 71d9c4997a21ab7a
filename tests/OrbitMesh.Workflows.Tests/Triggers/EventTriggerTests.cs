using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Triggers;

/// <summary>Event triggers: matching, filters over the event only, payload to parameters, once per event, reserved types, and loops cut.</summary>
public sealed class EventTriggerTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    [Fact]
    public async Task APostedEvent_StartsTheRunsWhoseFilterPasses_WithItsDataAsParameters()
    {
        await using var host = await TriggerHost.StartAsync(new ManualTimeProvider(Start));
        await host.RegisterWorkflowAsync("deploy", "version");
        await host.Triggers.SaveAsync(new WorkflowTrigger
        {
            Name = "on-prod-deploy",
            Workflow = "deploy",
            Kind = WorkflowTriggerKind.Event,
            Event = "deploy.*",
            Filter = "event.data.env == 'prod' && event.source == 'ci'",
            Parameters = Json(new { env = "default", replicas = 2 }),
        });

        var prod = new MeshEvent { Type = "deploy.requested", Source = "ci", Data = Json(new { env = "prod", version = "1.4.2" }) };
        var firings = await host.Triggers.PostEventAsync(prod);
        var firing = Assert.Single(firings);
        Assert.True(firing.Started);
        Assert.Empty(await host.Triggers.PostEventAsync(new MeshEvent { Type = "deploy.requested", Source = "ci", Data = Json(new { env = "test", version = "1.4.3" }) }));
        Assert.Empty(await host.Triggers.PostEventAsync(new MeshEvent { Type = "build.done", Source = "ci", Data = Json(new { env = "prod" }) }));

        var run = (await host.RunsAsync("deploy")).Single();
        var parameters = run.Parameters!.Value;
        Assert.Equal("prod", parameters.GetProperty("env").GetString());
        Assert.Equal("1.4.2", parameters.GetProperty("version").GetString());
        Assert.Equal(2, parameters.GetProperty("replicas").GetInt32());
        var trigger = parameters.GetProperty("trigger");
        Assert.Equal("on-prod-deploy", trigger.GetProperty("name").GetString());
        Assert.Equal(prod.Id, trigger.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal(1, trigger.GetProperty("depth").GetInt32());

        // The same event again (a client retrying) starts nothing new.
        var again = Assert.Single(await host.Triggers.PostEventAsync(prod));
        Assert.False(again.Started);
        Assert.Equal(firing.RunId, again.RunId);
        Assert.Single(await host.RunsAsync("deploy"));
    }

    [Fact]
    public async Task PostedEvents_WithReservedOrBadTypes_OrNonObjectData_AreRefused()
    {
        await using var host = await TriggerHost.StartAsync(new ManualTimeProvider(Start));
        var reserved = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Triggers.PostEventAsync(new MeshEvent { Type = "job.failed" }));
        Assert.Contains("reserved", reserved.Errors.Single().Message, StringComparison.Ordinal);
        var bad = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Triggers.PostEventAsync(new MeshEvent { Type = "Deploy Now", Data = Json(new[] { 1, 2 }) }));
        Assert.Equal(["/type", "/data"], bad.Errors.Select(e => e.Path));
    }

    [Fact]
    public async Task ARefusedStart_IsReported_NotThrown()
    {
        await using var host = await TriggerHost.StartAsync(new ManualTimeProvider(Start));
        await host.RegisterWorkflowAsync("deploy", "version");
        await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "any", Workflow = "deploy", Kind = WorkflowTriggerKind.Event, Event = "deploy.requested" });

        var firing = Assert.Single(await host.Triggers.PostEventAsync(new MeshEvent { Type = "deploy.requested", Data = Json(new { env = "prod" }) }));
        Assert.False(firing.Started);
        Assert.Contains("version", firing.Error, StringComparison.Ordinal);
        var info = await host.Triggers.GetAsync("any");
        Assert.Equal(1, info!.Refusals);
        Assert.Equal(firing.Error, info.LastError);
    }

    [Fact]
    public async Task BuiltInEvents_FireTriggers_AndARunThatTriggersItselfStopsAtTheChainDepth()
    {
        await using var host = await TriggerHost.StartAsync(new ManualTimeProvider(Start));
        await host.RegisterWorkflowAsync("cleanup");
        await host.RegisterWorkflowAsync("again");
        await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "on-failure", Workflow = "cleanup", Kind = WorkflowTriggerKind.Event, Event = MeshEventTypes.JobFailed, Filter = "event.data.command == 'app.build'" });
        await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "loop", Workflow = "again", Kind = WorkflowTriggerKind.Event, Event = MeshEventTypes.WorkflowCompleted, Filter = "event.data.workflow == 'again'" });

        host.Triggers.Raise(new MeshEvent { Type = MeshEventTypes.JobFailed, Source = "server", Data = Json(new { jobId = "job_1", command = "app.build" }) });
        host.Triggers.Raise(new MeshEvent { Type = MeshEventTypes.JobFailed, Source = "server", Data = Json(new { jobId = "job_2", command = "app.other" }) });
        await host.UntilAsync(async () => (await host.RunsAsync("cleanup")).Count == 1, "the cleanup run");

        // "again" ends, its end fires "loop", which runs "again"... until the chain is 8 runs deep.
        await host.Engine.StartRunAsync("again");
        var limit = host.Triggers.Options.MaxEventChainDepth;
        await host.UntilAsync(async () => (await host.Triggers.GetAsync("loop"))!.Refusals == 1, "the loop to be cut");
        var runs = await host.RunsAsync("again");
        Assert.Equal(limit + 1, runs.Count);
        Assert.Equal(limit, runs.Max(r => r.Parameters is { } p && p.TryGetProperty("trigger", out var t) ? t.GetProperty("depth").GetInt32() : 0));
        Assert.Contains("MaxEventChainDepth", (await host.Triggers.GetAsync("loop"))!.LastError, StringComparison.Ordinal);
    }
}
