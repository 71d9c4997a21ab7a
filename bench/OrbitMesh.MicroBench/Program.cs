using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/OrbitMesh.MicroBench -- --filter '*'
// Reports (GitHub markdown and JSON) go to bench/results/micro/ under the repository root.
var root = AppContext.BaseDirectory;
while (root is not null && !File.Exists(Path.Combine(root, "OrbitMesh.slnx")))
{
    root = Path.GetDirectoryName(root);
}

var artifacts = Path.Combine(root ?? Directory.GetCurrentDirectory(), "bench", "results", "micro");
var config = ManualConfig.CreateMinimumViable()
    .AddJob(Job.ShortRun.WithWarmupCount(3).WithIterationCount(5))
    .AddExporter(MarkdownExporter.GitHub)
    .AddExporter(JsonExporter.Brief)
    .WithArtifactsPath(artifacts)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(OrbitMesh.MicroBench.SerializationBenchmarks).Assembly).Run(args, config);
