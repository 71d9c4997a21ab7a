// The shortest complete OrbitMesh workflow: two steps in parallel on BasicAgent's commands, then a
// third that reads both outputs. Each step runs as a durable job; the server keeps the run's events.
// Usage: WorkflowDemo [server URL] [name]; the API key comes from $ORBITMESH_API_KEY.
using OrbitMesh.Client;
using OrbitMesh.Workflows;

var server = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:5080");
var name = args.Length > 1 ? args[1] : "Ada";
using var mesh = new MeshHttpClient(server, Environment.GetEnvironmentVariable("ORBITMESH_API_KEY") ?? "dev-api-key");

var workflow = new WorkflowBuilder("hello-workflow")
    .AddParallel(
        greet => greet.AddCommand("greet", "greet", new { name = "${{ params.name }}" }),
        add => add.AddCommand("add", "add", new { a = 2, b = 3 }).WithRetry(3, TimeSpan.FromSeconds(1)))
    .AddCommand("summary", "greet", new { name = "${{ concat(params.name, ' (2 + 3 = ', string(steps.add.output), ')') }}" })
    .Build();

var run = await mesh.ExecuteWorkflowAsync(workflow, new { name });
Console.WriteLine($"Run {run.RunId} of {run.Workflow}: {run.Status}");
foreach (var step in run.Steps)
{
    Console.WriteLine($"  {step.StepId,-8} {step.Status,-10} {step.Output}");
}

return run.Status == WorkflowRunStatus.Succeeded ? 0 : 1;
