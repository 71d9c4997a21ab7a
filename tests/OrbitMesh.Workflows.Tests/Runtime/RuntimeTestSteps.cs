using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>Which class steps ran, in order; injected into the steps from DI.</summary>
public sealed class StepLog
{
    private readonly ConcurrentQueue<string> _steps = new();

    public IReadOnlyList<string> Steps => [.. _steps];

    public void Add(string step) => _steps.Enqueue(step);
}

public static class StepLogServiceCollectionExtensions
{
    public static IServiceCollection AddSingletonLog(this IServiceCollection services, StepLog log) => services.AddSingleton(log);
}

public sealed class ProduceNumber(StepLog log) : IWorkflowStep
{
    public int Number { get; set; }

    public Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        log.Add(context.StepId);
        return Task.FromResult(StepResult.Success(Number));
    }
}

public sealed class AddOne(StepLog log) : IWorkflowStep
{
    public Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        log.Add(context.StepId);
        var previous = context.Outputs.ContainsKey("add") ? context.GetOutput<int>("add") : context.GetOutput<int>("produce");
        return Task.FromResult(StepResult.Success(previous + 1));
    }
}

public sealed class Sleeper : IWorkflowStep
{
    public async Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return StepResult.Success();
    }
}

/// <summary>Reads a fan-out's output with the public type: which agents succeeded, and their results.</summary>
public sealed class SummarizeProbe : IWorkflowStep
{
    public Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var results = context.GetOutput<IReadOnlyList<FanOutAgentResult>>("probe")!;
        return Task.FromResult(StepResult.Success(new
        {
            ok = results.Where(r => r.Status == JobStatus.Completed).Select(r => r.Result!.Value.GetProperty("agent").GetString()).ToList(),
            failed = results.Where(r => r.Status != JobStatus.Completed).Select(r => $"{r.AgentId}: {r.Error}").ToList(),
        }));
    }
}
