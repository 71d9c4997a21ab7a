using System.Globalization;
using System.Text;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Output;

/// <summary>How the CLI shows workflow runs: a table of steps, and a live version of it redrawn in place.</summary>
internal static class WorkflowRunView
{
    /// <summary>What a secret's value shows as: the CLI never prints one.</summary>
    public const string Masked = "***";

    public static string Name(WorkflowRunStatus status) => WorkflowStatusNames.Of(status);

    /// <summary>" Secrets: a=***, b=***." for a run with secrets; empty otherwise.</summary>
    public static string SecretsSuffix(WorkflowRun run) =>
        run.SecretNames is { Count: > 0 } names ? " Secrets: " + string.Join(", ", names.Select(n => n + "=" + Masked)) + "." : string.Empty;

    public static string Name(WorkflowStepStatus status) => WorkflowStatusNames.Of(status);

    /// <summary>The run's header line and its steps.</summary>
    /// <remarks>With <paramref name="progressOf"/>, a running step's detail is its job's latest progress.</remarks>
    public static string Render(WorkflowRun run, DateTimeOffset now, Func<string, (double? Percent, string? Message)?>? progressOf = null)
    {
        var text = new StringBuilder();
        var elapsed = (run.FinishedAt ?? now) - run.StartedAt;
        text.Append(CultureInfo.InvariantCulture, $"Run {run.RunId}  {run.Workflow} v{run.Version}  {Name(run.Status)}  {Seconds(elapsed)}");
        text.AppendLine();
        if (run.SecretNames is { Count: > 0 } secretNames)
        {
            text.Append("Secrets: ").AppendJoin(", ", secretNames.Select(n => n + "=" + Masked)).AppendLine();
        }

        var table = new TextTable("STEP", "STATE", "ATTEMPTS", "TIME", "JOB", "DETAIL");
        foreach (var step in run.Steps)
        {
            var took = step.StartedAt is { } started ? Seconds((step.FinishedAt ?? now) - started) : string.Empty;
            var detail = step.Status == WorkflowStepStatus.Retrying && step.NextAttemptAt is { } next
                ? $"retry in {Seconds(next - now)}: {step.Error}"
                : step.Status == WorkflowStepStatus.Running && step.JobId is { } jobId && progressOf?.Invoke(jobId) is { } progress
                    ? Progress(progress.Percent, progress.Message)
                    : step.Error;
            table.AddRow(step.StepId, Name(step.Status), step.Attempts == 0 ? string.Empty : step.Attempts.ToString(CultureInfo.InvariantCulture), took, step.JobId, Trim(detail, 70));
        }

        text.Append(table);
        if (run.Reason is { } reason && run.IsFinal)
        {
            text.Append("Reason: ").AppendLine(reason);
        }

        return text.ToString();
    }

    private static string Progress(double? percent, string? message) =>
        (percent is { } p ? p.ToString("0", CultureInfo.InvariantCulture) + " %" : string.Empty)
        + (percent is not null && !string.IsNullOrEmpty(message) ? " " : string.Empty)
        + message;

    public static string RenderList(IReadOnlyList<WorkflowRunSummary> runs)
    {
        if (runs.Count == 0)
        {
            return "No workflow runs." + Environment.NewLine;
        }

        var table = new TextTable("RUN", "WORKFLOW", "VERSION", "STATUS", "STARTED", "FINISHED");
        foreach (var run in runs)
        {
            table.AddRow(run.RunId, run.Workflow, run.Version.ToString(CultureInfo.InvariantCulture), Name(run.Status), run.StartedAt.ToString("u", CultureInfo.InvariantCulture), run.FinishedAt?.ToString("u", CultureInfo.InvariantCulture));
        }

        return table.ToString();
    }

    /// <summary>One line per instance of a per-agent run.</summary>
    public static string RenderInstances(IEnumerable<WorkflowRun> runs)
    {
        var table = new TextTable("AGENT", "RUN", "STATUS", "REASON");
        foreach (var run in runs.OrderBy(r => r.BoundAgent, StringComparer.Ordinal))
        {
            table.AddRow(run.BoundAgent, run.RunId, Name(run.Status), Trim(run.Reason, 70));
        }

        return table.ToString();
    }

    /// <summary>A rollout: each batch's instances, then what was rolled back and skipped.</summary>
    public static string RenderRollout(WorkflowRolloutResult rollout)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Rollout of {rollout.Workflow}: {rollout.Batches.Count} batches of up to {rollout.BatchSize}, {(rollout.Completed ? "completed" : "stopped")}").AppendLine();
        var table = new TextTable("BATCH", "AGENT", "RUN", "STATUS", "REASON");
        for (var i = 0; i < rollout.Batches.Count; i++)
        {
            foreach (var run in rollout.Batches[i])
            {
                table.AddRow((i + 1).ToString(CultureInfo.InvariantCulture), run.BoundAgent, run.RunId, Name(run.Status), Trim(run.Reason, 60));
            }
        }

        text.Append(table);
        if (rollout.RolledBack.Count > 0)
        {
            text.Append("Rolled back: ").AppendLine(string.Join(", ", rollout.RolledBack.Select(r => $"{r.BoundAgent} ({Name(r.Status)})")));
        }

        if (rollout.SkippedAgents.Count > 0)
        {
            text.Append("Not reached: ").AppendLine(string.Join(", ", rollout.SkippedAgents));
        }

        return text.ToString();
    }

    private static string Seconds(TimeSpan span) => span < TimeSpan.Zero ? "0.0s" : span.TotalSeconds < 100 ? $"{span.TotalSeconds:0.0}s" : $"{span.TotalMinutes:0.0}m";

    private static string? Trim(string? text, int max) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}

/// <summary>A block of text redrawn in place on a terminal (cursor up, clear to end); silent when not a terminal.</summary>
internal sealed class LiveBlock(TextWriter writer, bool enabled)
{
    private int _lines;

    public void Show(string text)
    {
        if (!enabled)
        {
            return;
        }

        var output = new StringBuilder();
        if (_lines > 0)
        {
            output.Append(CultureInfo.InvariantCulture, $"\u001b[{_lines}A\r\u001b[J");
        }

        output.Append(text);
        writer.Write(output.ToString());
        writer.Flush();
        _lines = text.Count(c => c == '\n');
    }

    public void Clear()
    {
        if (enabled && _lines > 0)
        {
            writer.Write(FormattableString.Invariant($"\u001b[{_lines}A\r\u001b[J"));
            _lines = 0;
        }
    }
}
