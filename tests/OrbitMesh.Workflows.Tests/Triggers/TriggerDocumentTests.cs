using System.Text;

namespace OrbitMesh.Workflows.Tests.Triggers;

/// <summary>Trigger files: YAML and JSON, every problem listed with its line and column.</summary>
public sealed class TriggerDocumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static WorkflowTrigger Parse(string text, string file = "trigger.yaml") => WorkflowTriggerDocument.Parse(Encoding.UTF8.GetBytes(text), Now, file);

    private static IReadOnlyList<WorkflowValidationError> Errors(string text, string file = "trigger.yaml") =>
        Assert.Throws<WorkflowValidationException>(() => Parse(text, file)).Errors;

    [Fact]
    public void AYamlCronTrigger_Reads_AndWritesBackTheSame()
    {
        var trigger = Parse("""
            name: nightly-backup
            workflow: backup
            kind: cron
            schedule: "0 2 * * *"
            timeZone: Europe/Berlin
            missedTicks: runOnce
            parameters:
              target: all
              keep: 7
            """);

        Assert.Equal(WorkflowTriggerKind.Cron, trigger.Kind);
        Assert.Equal(MissedTickPolicy.RunOnce, trigger.MissedTicks);
        Assert.Equal(7, trigger.Parameters!.Value.GetProperty("keep").GetInt32());
        foreach (var format in new[] { WorkflowDocumentFormat.Yaml, WorkflowDocumentFormat.Json })
        {
            var text = WorkflowTriggerDocument.Serialize(trigger, format);
            var again = WorkflowTriggerDocument.Parse(Encoding.UTF8.GetBytes(text), Now, format: format);
            Assert.Equal(WorkflowTriggerDocument.Serialize(trigger, WorkflowDocumentFormat.Json), WorkflowTriggerDocument.Serialize(again, WorkflowDocumentFormat.Json));
        }
    }

    [Fact]
    public void EveryProblem_IsListed_AtItsLine()
    {
        var errors = Errors("""
            name: Nightly Backup
            workflow: backup
            kind: cron
            schedule: "0 0 30 2 *"
            event: job.failed
            version: 0
            """);

        Assert.Equal(["/name", "/version", "/event", "/schedule"], errors.Select(e => e.Path));
        Assert.Equal([1, 6, 5, 4], errors.Select(e => e.Line));
        Assert.Contains("never fires", errors.Single(e => e.Path == "/schedule").Message, StringComparison.Ordinal);
        Assert.Contains("setting of event triggers", errors.Single(e => e.Path == "/event").Message, StringComparison.Ordinal);
        Assert.All(errors, e => Assert.Equal("trigger.yaml", e.File));
    }

    [Fact]
    public void UnknownMembers_WrongTypes_AndBadSyntax_AreRefusedWithTheirPlace()
    {
        var unknown = Assert.Single(Errors("name: a\nworkflow: b\nschedul: \"* * * * *\"\n"));
        Assert.Equal(3, unknown.Line);
        Assert.Contains("schedul", unknown.Message, StringComparison.Ordinal);

        var wrongKind = Assert.Single(Errors("name: a\nworkflow: b\nkind: sometimes\n"));
        Assert.Equal("/kind", wrongKind.Path);

        var bomb = Assert.Single(Errors("name: &a x\nworkflow: *a\n"));
        Assert.Equal(WorkflowErrorCodes.InvalidYaml, bomb.Code);

        var json = Assert.Single(Errors("""{ "name": "a", "workflow": "b", "kind": "event", "event": "x", "filter": "params.x == 1" }""", "t.json"));
        Assert.Equal("/filter", json.Path);
        Assert.Contains("only the event", json.Message, StringComparison.Ordinal);

        Assert.Contains("name' and 'workflow", Assert.Single(Errors("kind: manual\n")).Message, StringComparison.Ordinal);
        Assert.Contains("at most", Assert.Single(Errors("name: a\nworkflow: b\ndescription: " + new string('x', WorkflowTriggerDocument.MaxBytes) + "\n")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventPatterns_Match_ExactlyOrByPrefix()
    {
        Assert.True(WorkflowTriggerValidator.Matches("deploy.*", "deploy.requested"));
        Assert.False(WorkflowTriggerValidator.Matches("deploy.*", "deployment.requested"));
        Assert.True(WorkflowTriggerValidator.Matches("job.failed", "job.failed"));
        Assert.False(WorkflowTriggerValidator.Matches("job.failed", "job.failed.again"));
        Assert.True(WorkflowTriggerValidator.Matches("*", "anything"));
    }
}
