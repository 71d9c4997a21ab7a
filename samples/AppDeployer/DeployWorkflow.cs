using OrbitMesh.Workflows;

namespace AppDeployer;

/// <summary>
/// The workflow every web node runs, one instance per node: each step is a command on that node, and
/// each step that changes the node names the command that undoes it. A failed step undoes the node's
/// own completed steps; a failed batch makes the rollout undo the nodes already done.
/// </summary>
internal static class DeployWorkflow
{
    public const string Name = "deploy-app";

    public static WorkflowDefinition Definition { get; } = new WorkflowBuilder(Name)
        .WithDescription("Health check, stop, download, install, start, verify; each undone in reverse on rollback.")
        .RequireParameters("app", "version", "packageUrl")
        .AddCommand("health-check", "app.health")
        .AddCommand("stop", "app.stop").WithCompensation("app.start")
        .AddCommand("download", "app.download").WithRetry(3, TimeSpan.FromSeconds(1))
            .WithCompensation("app.discard", new { path = "${{ steps.download.output.path }}" })
        .AddCommand("install", "app.install", new { path = "${{ steps.download.output.path }}" })
            .WithCompensation("app.restore", new { installed = "${{ steps.install.output.version }}" })
        .AddCommand("start", "app.start").WithCompensation("app.stop")
        .AddCommand("verify", "app.verify")
        .Build();
}
