using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Dashboard.Components;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Security;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>
/// Re-running failed, timed-out and dead-lettered jobs (operator): one from its page, or the ones ticked
/// in the jobs table. Each re-run is a new job with the same request; the old one stays as it ended.
/// </summary>
internal static class RerunEndpoints
{
    /// <summary>The most jobs one bulk re-run takes (the jobs table shows at most 1,000).</summary>
    public const int MaxBulk = 1000;

    public static void MapRerunEndpoints(this RouteGroupBuilder actions)
    {
        actions.MapPost("/jobs/{id}/rerun", RerunJobAsync).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/jobs/rerun", RerunSelectedAsync).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
    }

    private static async Task<IResult> RerunJobAsync(HttpContext context, DashboardRoute route, IMeshClient mesh, string id)
    {
        var (copy, problem) = await RerunAsync(mesh, id, context.RequestAborted).ConfigureAwait(false);
        return copy is null
            ? await ActionEndpoints.BackAsync(context, route, problem!).ConfigureAwait(false)
            : Results.Redirect(route.Prefix.Value + "/jobs/" + Uri.EscapeDataString(copy) + "?note=" + Uri.EscapeDataString($"Re-run of {id}."), preserveMethod: false);
    }

    private static async Task<IResult> RerunSelectedAsync(HttpContext context, DashboardRoute route, IMeshClient mesh)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var ids = form["id"].Where(i => !string.IsNullOrEmpty(i)).Select(i => i!).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return await ActionEndpoints.BackAsync(context, route, "No job was selected.").ConfigureAwait(false);
        }

        if (ids.Count > MaxBulk)
        {
            return await ActionEndpoints.BackAsync(context, route, $"{ids.Count} jobs were selected; at most {MaxBulk} are re-run at once.").ConfigureAwait(false);
        }

        var rerun = 0;
        var problems = new List<string>();
        foreach (var id in ids)
        {
            var (copy, problem) = await RerunAsync(mesh, id, context.RequestAborted).ConfigureAwait(false);
            if (copy is null)
            {
                problems.Add(problem!);
            }
            else
            {
                rerun++;
            }
        }

        var note = $"Re-ran {rerun} of {ids.Count} selected job(s)." + (problems.Count > 0 ? " Not re-run: " + string.Join(" ", problems.Take(5)) + (problems.Count > 5 ? $" ({problems.Count - 5} more)" : "") : "");
        return await ActionEndpoints.BackAsync(context, route, note).ConfigureAwait(false);
    }

    /// <summary>Submits a copy of the job <paramref name="id"/>: its id, or null and why it was not re-run.</summary>
    private static async Task<(string? Copy, string? Problem)> RerunAsync(IMeshClient mesh, string id, CancellationToken cancellationToken)
    {
        var job = await mesh.GetJobAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return (null, $"No job {id} exists.");
        }

        if (!JobViews.CanRerun(job))
        {
            return (null, $"Job {id} is {job.Status}; only failed, timed-out and dead-lettered jobs are re-run.");
        }

        if (job.SecretParameters is { Count: > 0 })
        {
            return (null, $"Job {id} has secret parameters, which the dashboard does not resubmit; submit it again from the CLI.");
        }

        try
        {
            var copy = await mesh.SubmitAsync(new JobRequest
            {
                Command = job.Command,
                Parameters = job.Parameters,
                Target = job.Target,
                Pattern = job.Pattern,
                Priority = job.Priority,
                MaxAttempts = job.MaxAttempts,
                Timeout = job.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
                CorrelationId = job.CorrelationId,
            }, cancellationToken).ConfigureAwait(false);
            return (copy.Id, null);
        }
        catch (MeshQueueFullException ex)
        {
            return (null, $"Job {id}: {ex.Message}");
        }
    }
}
