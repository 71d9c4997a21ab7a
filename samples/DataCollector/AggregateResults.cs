using System.Text.Json;
using OrbitMesh;
using OrbitMesh.Workflows;

namespace DataCollector;

/// <summary>
/// Runs on the server after both fan-outs: one report per collector agent the server knows, with its
/// metrics and matching log lines, <c>failed</c> when either gathering failed and <c>offline</c> when
/// it was not connected; and the totals over the agents collected.
/// </summary>
internal sealed class AggregateResults(IMeshClient mesh) : IWorkflowStep
{
    public async Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var metrics = context.GetOutput<IReadOnlyList<FanOutAgentResult>>("system-metrics")!.ToDictionary(r => r.AgentId);
        var logs = context.GetOutput<IReadOnlyList<FanOutAgentResult>>("application-logs")!.ToDictionary(r => r.AgentId);
        var known = (await mesh.GetAgentsAsync(cancellationToken)).Where(a => a.Capabilities.Contains("collector")).OrderBy(a => a.Id, StringComparer.Ordinal);
        var reports = known.Select(agent =>
        {
            var m = metrics.GetValueOrDefault(agent.Id);
            var l = logs.GetValueOrDefault(agent.Id);
            var errors = new[] { m, l }.Where(r => r is { Status: not JobStatus.Completed }).Select(r => r!.Error ?? r.Status.ToString()).ToList();
            var status = m is null && l is null ? "offline" : errors.Count > 0 ? "failed" : "ok";
            return new AgentReport(agent.Id, status, Ok(m), Ok(l), errors.Count > 0 ? string.Join("; ", errors) : status == "offline" ? $"not connected ({agent.Status})" : null);
        }).ToList();
        var collected = reports.Where(r => r.Status == "ok").ToList();
        return StepResult.Success(new CollectionReport(
            reports.Count,
            collected.Count,
            collected.Sum(r => r.Metrics!.Value.GetProperty("workingSetBytes").GetInt64()),
            collected.Sum(r => r.Logs!.Value.GetProperty("matching").GetInt32()),
            reports));
    }

    private static JsonElement? Ok(FanOutAgentResult? result) => result is { Status: JobStatus.Completed } ? result.Result : null;
}

/// <summary>One agent's part of a collection.</summary>
internal sealed record AgentReport(string AgentId, string Status, JsonElement? Metrics, JsonElement? Logs, string? Error);

/// <summary>A collection over every collector agent: how many were asked, how many answered fully, the totals.</summary>
internal sealed record CollectionReport(int Agents, int Collected, long TotalWorkingSetBytes, int MatchingLogLines, IReadOnlyList<AgentReport> Reports);
