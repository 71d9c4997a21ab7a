using OrbitMesh.Cli.Output;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Commands;

/// <summary>The demo's workflows: a deploy-style DAG across the three agents, and the same DAG failing on one branch so the saga undoes the rest.</summary>
internal static class DemoWorkflows
{
    private static readonly string[] Agents = ["agent-1", "agent-2", "agent-3"];

    /// <summary>validate, then install on each agent in parallel, then a health check; every install has an uninstall compensation.</summary>
    public static WorkflowDefinition Deploy(string name, string? failOn)
    {
        var builder = new WorkflowBuilder(name)
            .WithDescription("The demo's deploy: validate, install on three agents in parallel, health check.")
            .AddCommand("validate", "echo", new { check = "package" }, AgentTarget.ForAgent("agent-1")).WithCompensation("echo", new { undo = "validate" }, AgentTarget.ForAgent("agent-1"));
        builder.AddParallel([.. Agents.Select<string, Action<WorkflowBuilder>>(agent => branch =>
        {
            var step = "install-" + agent[^1];
            if (agent == failOn)
            {
                branch.AddCommand(step, "sleep", new { ms = -1 }, AgentTarget.ForAgent(agent));
            }
            else
            {
                branch.AddCommand(step, "echo", new { installed = agent }, AgentTarget.ForAgent(agent))
                    .WithCompensation("echo", new { uninstalled = agent }, AgentTarget.ForAgent(agent));
            }
        })]);
        return builder.AddCommand("health", "echo", new { healthy = true }, AgentTarget.ForAgent("agent-2")).Build();
    }

    public static async Task<string> RunDeployAsync(IWorkflowClient workflows, TextWriter output, CancellationToken cancellationToken)
    {
        var run = await workflows.ExecuteWorkflowAsync(Deploy("demo-deploy", failOn: null), new { release = "1.0.0" }, cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.Write(Indent(WorkflowRunView.Render(run, DateTimeOffset.UtcNow)));
        if (run.Status != WorkflowRunStatus.Succeeded)
        {
            throw new InvalidOperationException($"The deploy run ended {WorkflowRunView.Name(run.Status)}: {run.Reason}");
        }

        return $"run {run.RunId} succeeded: {run.Steps.Count} steps, install branches in parallel on {string.Join(", ", Agents)}";
    }

    public static async Task<string> RunFailingDeployAsync(IWorkflowClient workflows, TextWriter output, CancellationToken cancellationToken)
    {
        var run = await workflows.ExecuteWorkflowAsync(Deploy("demo-deploy-failing", failOn: "agent-3"), new { release = "1.0.1" }, cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.Write(Indent(WorkflowRunView.Render(run, DateTimeOffset.UtcNow)));
        if (run.Status != WorkflowRunStatus.Failed)
        {
            throw new InvalidOperationException($"The failing deploy was expected to fail and compensate; it ended {WorkflowRunView.Name(run.Status)}.");
        }

        var completed = new List<string>();
        var compensated = new List<string>();
        await foreach (var e in workflows.WatchWorkflowRunAsync(run.RunId, 0, cancellationToken).ConfigureAwait(false))
        {
            if (e.Type == WorkflowRunEventTypes.StepSucceeded)
            {
                completed.Add(e.StepId!);
            }
            else if (e.Type == WorkflowRunEventTypes.CompensationSucceeded)
            {
                compensated.Add(e.StepId!);
            }
        }

        if (!compensated.SequenceEqual(Enumerable.Reverse(completed)))
        {
            throw new InvalidOperationException($"Compensations ran as {string.Join(", ", compensated)}; expected the reverse of {string.Join(", ", completed)}.");
        }

        return $"install-3 failed as intended ({run.Steps.Single(s => s.StepId == "install-3").Error}); compensated {string.Join(", ", compensated)}: the reverse order of completion";
    }

    /// <summary>A per-agent deploy rolled out over the three agents at 50 % per batch (two batches).</summary>
    public static async Task<string> RunRollingAsync(IWorkflowClient workflows, TextWriter output, CancellationToken cancellationToken)
    {
        var definition = new WorkflowBuilder("demo-rolling")
            .WithDescription("The demo's rolling deploy: install, then verify, on the instance's own agent.")
            .AddCommand("install", "echo", new { step = "install" }).WithCompensation("echo", new { step = "uninstall" })
            .AddCommand("verify", "echo", new { step = "verify" })
            .Build();
        await workflows.RegisterWorkflowAsync(definition, cancellationToken).ConfigureAwait(false);
        var rollout = await workflows.ExecuteWorkflowRollingAsync("demo-rolling", 50, OrbitMeshJson.ToElement(new { release = "1.1.0" }), null, cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.Write(Indent(WorkflowRunView.RenderRollout(rollout)));
        if (!rollout.Completed)
        {
            throw new InvalidOperationException($"The rollout stopped at {rollout.FailedRunId}.");
        }

        return $"{rollout.Batches.Sum(b => b.Count)} instances in {rollout.Batches.Count} batches of up to {rollout.BatchSize} ({string.Join(" | ", rollout.Batches.Select(b => string.Join(", ", b.Select(r => r.BoundAgent))))}), all succeeded";
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split(Environment.NewLine).Select(line => line.Length == 0 ? line : "    " + line));
}
