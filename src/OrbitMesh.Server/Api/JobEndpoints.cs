using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Api;
using OrbitMesh.Server.Invocation;

namespace OrbitMesh.Server.Api;

/// <summary>
/// <c>/api/jobs</c>: submit, get, list, cancel, watch (server-sent events), fan out; and
/// <c>POST /api/agents/{id}/invoke</c> for communication-level calls.
/// </summary>
internal static class JobEndpoints
{
    /// <summary>The largest request body the job endpoints read: 4 MiB.</summary>
    public const int MaxBodyBytes = JsonBody.MaxBodyBytes;

    /// <summary>The longest per-attempt timeout a job may ask for: 7 days, as the request validator allows.</summary>
    private const double MaxTimeoutSeconds = 7 * 86_400;


    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/jobs", SubmitAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("SubmitJob");
        api.MapPost("/jobs/dry-run", DryRunAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("DryRunJob");
        api.MapPost("/jobs/all", SubmitToAllAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("SubmitJobToAll");
        api.MapGet("/jobs", ListAsync).WithName("ListJobs");
        api.MapGet("/jobs/{id}", GetAsync).WithName("GetJob");
        api.MapDelete("/jobs/{id}", CancelAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("CancelJob");
        api.MapGet("/jobs/{id}/events", EventsAsync).WithName("JobEvents");
        api.MapPost("/agents/{id}/invoke", InvokeAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("InvokeAgent");
        api.MapPost("/agents/{id}/send", SendAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("SendToAgent");
        api.MapPost("/agents/{id}/raw", SendRawAsync).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("SendRawToAgent");
        return api;
    }

    /// <summary>Where a job would go now and why other agents would not take it; submits nothing.</summary>
    private static async Task<IResult> DryRunAsync(HttpContext context, Jobs.JobManager jobs)
    {
        var (body, problem) = await JsonBody.ReadAsync<DryRunBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(body!.Command))
        {
            return ApiResults.BadRequest("A dry run needs the job's command.");
        }

        return ApiResults.Json(jobs.PlanTargeting(body.Command, body.Target, body.All == true));
    }

    private sealed record DryRunBody(string? Command, AgentTarget? Target, bool? All);

    private static async Task<IResult> SubmitAsync(HttpContext context, ServerMeshClient mesh, TimeProvider time)
    {
        var (submission, problem) = await ReadBodyAsync<JobSubmission>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(submission!.Command))
        {
            return ApiResults.Unprocessable(["command is required."]);
        }

        if (submission.TimeoutSeconds is { } timeoutSeconds && !(timeoutSeconds > 0 && timeoutSeconds <= MaxTimeoutSeconds))
        {
            return ApiResults.BadRequest($"timeoutSeconds must be more than 0 and at most {MaxTimeoutSeconds} (7 days); it was {timeoutSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        try
        {
            var request = submission.ToRequest();
            var input = submission.Input is { } items ? ToAsync(items) : null;
            if (context.Request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true))
            {
                // The caller wants the job's events from its first one: attach the watcher at submission so no item is missed.
                using var lifetime = new StreamLifetime(context, time);
                var (watched, events) = await mesh.SubmitAndWatchAsync(request, input, lifetime.Token).ConfigureAwait(false);
                context.Response.Headers.Location = $"/api/jobs/{Uri.EscapeDataString(watched.Id)}";
                context.Response.Headers["X-OrbitMesh-Job"] = watched.Id;
                await WriteEventsAsync(context, events, lifetime.Token).ConfigureAwait(false);
                lifetime.CloseIfExpired();
                return Results.Empty;
            }

            var job = await mesh.SubmitOrFailFastAsync(request, input, context.RequestAborted).ConfigureAwait(false);
            var existing = job.Id != request.Id;
            var accepted = new JobAccepted
            {
                Id = job.Id,
                Status = job.Status,
                Existing = existing,
                Result = existing ? job.Result : null,
                Error = existing ? job.Error : null,
            };
            context.Response.Headers.Location = $"/api/jobs/{Uri.EscapeDataString(job.Id)}";
            return ApiResults.Json(accepted, existing ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
        }
        catch (MeshValidationException ex)
        {
            return ApiResults.Unprocessable(ex.Errors);
        }
        catch (MeshQueueFullException ex)
        {
            return ApiResults.TooManyRequests(ex.Message, ex.RetryAfter ?? TimeSpan.FromSeconds(1), context);
        }
        catch (MeshIdempotencyConflictException ex)
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, ex.Code, ex.Message);
        }
        catch (MeshInvocationException ex) when (ex.Code is MeshErrorCodes.NotAllowed or MeshErrorCodes.UnknownCommand)
        {
            return ApiResults.Problem(StatusCodes.Status422UnprocessableEntity, ex.Code, ex.Message);
        }
        catch (OrbitMesh.Storage.StorageUnavailableException ex)
        {
            context.Response.Headers.RetryAfter = "5";
            return ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "storage_unavailable", "The server cannot store new work right now: " + ex.Message);
        }
    }

    private static async Task<IResult> SubmitToAllAsync(HttpContext context, ServerMeshClient mesh)
    {
        var (submission, problem) = await ReadBodyAsync<JobSubmission>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(submission!.Command))
        {
            return ApiResults.Unprocessable(["command is required."]);
        }

        if (submission.TimeoutSeconds is { } timeoutSeconds && !(timeoutSeconds > 0 && timeoutSeconds <= MaxTimeoutSeconds))
        {
            return ApiResults.BadRequest($"timeoutSeconds must be more than 0 and at most {MaxTimeoutSeconds} (7 days); it was {timeoutSeconds.ToString(CultureInfo.InvariantCulture)}.");
        }

        try
        {
            var request = submission.ToRequest();
            if (submission.BatchPercent is { } percent)
            {
                return ApiResults.Json(await mesh.ExecuteRollingAsync(request, percent, context.RequestAborted).ConfigureAwait(false));
            }

            var results = await mesh.ExecuteOnAllAsync(request, context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(new RollingResult { Batches = [results], Completed = results.All(r => r.IsSuccess) });
        }
        catch (MeshValidationException ex)
        {
            return ApiResults.Unprocessable(ex.Errors);
        }
        catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.NoAgent)
        {
            return ApiResults.NotFound(ex.Message);
        }
    }

    private static async Task<IResult> ListAsync(ServerMeshClient mesh, string? status, string? command, string? agentId, string? correlationId, int? limit, CancellationToken cancellationToken)
    {
        JobStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<JobStatus>(status, ignoreCase: true, out var parsed) || int.TryParse(status, out _))
            {
                return ApiResults.BadRequest($"Unknown status '{status}'; expected one of: {string.Join(", ", Enum.GetNames<JobStatus>())}.");
            }

            wanted = parsed;
        }

        if (limit is < 1 or > 1000)
        {
            return ApiResults.BadRequest("limit must be between 1 and 1000.");
        }

        var jobs = await mesh.ListJobsAsync(new JobQuery
        {
            Status = wanted,
            Command = command,
            AgentId = agentId,
            CorrelationId = correlationId,
            Limit = limit ?? 100,
        }, cancellationToken).ConfigureAwait(false);
        return ApiResults.Json(jobs.Select(JobView.From).ToList());
    }

    private static async Task<IResult> GetAsync(ServerMeshClient mesh, string id, CancellationToken cancellationToken) =>
        await mesh.GetJobAsync(id, cancellationToken).ConfigureAwait(false) is { } job
            ? ApiResults.Json(JobView.From(job))
            : ApiResults.NotFound($"No job with id '{id}' exists.");

    private static async Task<IResult> CancelAsync(ServerMeshClient mesh, string id, CancellationToken cancellationToken)
    {
        var job = await mesh.GetJobAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return ApiResults.NotFound($"No job with id '{id}' exists.");
        }

        if (job.IsFinal)
        {
            return ApiResults.Conflict($"Job '{id}' already ended {job.Status}.");
        }

        await mesh.CancelJobAsync(id, cancellationToken).ConfigureAwait(false);
        var after = await mesh.GetJobAsync(id, cancellationToken).ConfigureAwait(false) ?? job;
        return ApiResults.Json(new JobAccepted { Id = id, Status = after.Status }, StatusCodes.Status202Accepted);
    }

    /// <summary>Server-sent events: one <c>status</c>, <c>progress</c> or <c>item</c> event per job event, until the job's final status.</summary>
    private static async Task EventsAsync(HttpContext context, ServerMeshClient mesh, TimeProvider time, string id, long? after)
    {
        if (await mesh.GetJobAsync(id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await ApiResults.NotFound($"No job with id '{id}' exists.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // The job's whole history from the store, then live; a reconnecting client sends the id of the
        // last event it saw (the SSE standard) or ?after=N, and gets only what came after it.
        var (from, problem) = ServerSentEvents.StartOf(context, after);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        using var lifetime = new StreamLifetime(context, time);
        await WriteEventsAsync(context, mesh.WatchJobAsync(id, from, lifetime.Token), lifetime.Token).ConfigureAwait(false);
        lifetime.CloseIfExpired();
    }

    private static Task WriteEventsAsync(HttpContext context, IAsyncEnumerable<JobEvent> source, CancellationToken cancellationToken) =>
        ServerSentEvents.WriteAsync(context, source, e => e.Sequence, e => e.Type.ToString().ToLowerInvariant(), cancellationToken);

    private static async Task<IResult> SendAsync(HttpContext context, ServerMeshClient mesh, string id)
    {
        var (submission, problem) = await ReadBodyAsync<InvokeSubmission>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(submission!.Command))
        {
            return ApiResults.Unprocessable(["command is required."]);
        }

        try
        {
            await mesh.SendAsync(id, submission.Command, submission.Parameters, context.RequestAborted).ConfigureAwait(false);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        }
        catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.NoAgent)
        {
            return ApiResults.NotFound(ex.Message);
        }
    }

    private static async Task<IResult> SendRawAsync(HttpContext context, ServerMeshClient mesh, string id)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The body is larger than {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            await mesh.SendRawAsync(id, buffer.ToArray(), context.RequestAborted).ConfigureAwait(false);
            return Results.StatusCode(StatusCodes.Status202Accepted);
        }
        catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.NoAgent)
        {
            return ApiResults.NotFound(ex.Message);
        }
    }

    private static async Task<IResult> InvokeAsync(HttpContext context, ServerMeshClient mesh, string id)
    {
        var (submission, problem) = await ReadBodyAsync<InvokeSubmission>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(submission!.Command))
        {
            return ApiResults.Unprocessable(["command is required."]);
        }

        if (submission.TimeoutSeconds is <= 0 or > 86_400)
        {
            return ApiResults.Unprocessable(["timeoutSeconds must be between 0 and 86400."]);
        }

        try
        {
            var result = await mesh.InvokeRawAsync(id, new Protocol.InvokeRequest { Command = submission.Command, Parameters = submission.Parameters },
                submission.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(new InvokeAnswer(result));
        }
        catch (MeshInvocationException ex)
        {
            var status = ex.Code switch
            {
                MeshErrorCodes.NoAgent => StatusCodes.Status404NotFound,
                MeshErrorCodes.Timeout => StatusCodes.Status504GatewayTimeout,
                MeshErrorCodes.AgentDisconnected or MeshErrorCodes.Busy => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status422UnprocessableEntity,
            };
            return ApiResults.Problem(status, ex.Code, ex.Message, ex.Error);
        }
    }

    /// <summary>Reads a JSON body (see <see cref="JsonBody"/>).</summary>
    internal static Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpContext context)
        where T : class => JsonBody.ReadAsync<T>(context);

    private static async IAsyncEnumerable<JsonElement> ToAsync(IReadOnlyList<JsonElement> items)
    {
        foreach (var item in items)
        {
            await Task.CompletedTask.ConfigureAwait(false);
            yield return item;
        }
    }
}
