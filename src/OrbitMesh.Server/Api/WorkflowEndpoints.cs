using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Api;

/// <summary>
/// The workflow REST API: definitions under <c>/api/workflows</c> (viewer reads, admin registers) and
/// runs under <c>/api/workflow-runs</c> (viewer reads, operator starts, pauses, resumes, cancels), with
/// a <c>text/event-stream</c> of a run's events that honours <c>Last-Event-ID</c>. Mapped by
/// <c>MapOrbitMesh()</c> when <c>AddOrbitMeshWorkflows()</c> registered the engine.
/// </summary>
internal static class WorkflowEndpoints
{
    /// <summary>Maps the workflow API into the <c>/api</c> group.</summary>
    public static void MapWorkflowEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/workflows", RegisterAsync).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("RegisterWorkflow");
        api.MapPost("/workflows/validate", ValidateAsync).WithName("ValidateWorkflow");
        api.MapGet("/workflows", ListAsync).WithName("ListWorkflows");
        api.MapGet("/workflows/{name}", GetAsync).WithName("GetWorkflow");
        api.MapPost("/workflows/{name}/runs", StartAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("StartWorkflowRun");
        api.MapPost("/workflows/{name}/dry-run", DryRunAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("DryRunWorkflow");
        api.MapPost("/workflows/{name}/all", OnAllAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("RunWorkflowOnAll");
        api.MapPost("/workflows/{name}/rolling", RollingAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("RunWorkflowRolling");
        api.MapPost("/workflow-runs/{id}/rollback", RollBackAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("RollBackWorkflowRun");
        api.MapGet("/workflow-runs", ListRunsAsync).WithName("ListWorkflowRuns");
        api.MapGet("/workflow-runs/{id}", GetRunAsync).WithName("GetWorkflowRun");
        api.MapGet("/workflow-runs/{id}/events", EventsAsync).WithName("WorkflowRunEvents");
        api.MapPost("/workflow-runs/{id}/pause", PauseAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("PauseWorkflowRun");
        api.MapPost("/workflow-runs/{id}/resume", ResumeAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("ResumeWorkflowRun");
        api.MapPost("/workflow-runs/{id}/cancel", CancelAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("CancelWorkflowRun");
    }

    private static async Task<IResult> RegisterAsync(HttpContext context, WorkflowEngine engine, bool? dryRun)
    {
        var (document, problem) = await ReadDefinitionAsync(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var definition = document!.Definition;
        try
        {
            if (dryRun == true)
            {
                var errors = engine.Check(definition);
                if (errors.Count > 0)
                {
                    return Invalid(new WorkflowValidationException(definition.Name, document.Locate(errors)));
                }

                var latest = await engine.Definitions.GetAsync(definition.Name, null, context.RequestAborted).ConfigureAwait(false);
                var same = latest is null ? null : await engine.Definitions.GetAsync(definition.Name, definition.Version, context.RequestAborted).ConfigureAwait(false);
                return ApiResults.Json(WorkflowDefinitionPlan.Of(definition, same, latest));
            }

            var created = await engine.RegisterAsync(definition, context.RequestAborted).ConfigureAwait(false);
            var body = new { name = definition.Name, version = definition.Version, created, steps = definition.Steps.Count };
            return ApiResults.Json(body, created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (WorkflowValidationException ex)
        {
            return Invalid(new WorkflowValidationException(definition.Name, document.Locate(ex.Errors)));
        }
        catch (WorkflowVersionConflictException ex)
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, ex.Code, ex.Message);
        }
    }

    private static async Task<IResult> ValidateAsync(HttpContext context, WorkflowEngine engine)
    {
        var (document, problem) = await ReadDefinitionAsync(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var definition = document!.Definition;
        var errors = engine.Check(definition);
        return errors.Count > 0
            ? Invalid(new WorkflowValidationException(definition.Name, document.Locate(errors)))
            : ApiResults.Json(new { valid = true, name = definition.Name, version = definition.Version, steps = definition.Steps.Count });
    }

    private static async Task<IResult> ListAsync(WorkflowEngine engine, CancellationToken cancellationToken) =>
        ApiResults.Json(await engine.Definitions.ListAsync(cancellationToken).ConfigureAwait(false));

    private static async Task<IResult> GetAsync(WorkflowEngine engine, string name, int? version, string? format, CancellationToken cancellationToken)
    {
        var definition = await engine.Definitions.GetAsync(name, version, cancellationToken).ConfigureAwait(false);
        if (definition is null)
        {
            return ApiResults.NotFound(version is { } v ? $"Workflow '{name}' has no version {v}." : $"No workflow named '{name}' is registered.");
        }

        return format?.ToUpperInvariant() switch
        {
            null or "JSON" => Results.Text(WorkflowJson.Serialize(definition), "application/json", Encoding.UTF8),
            "YAML" => Results.Text(WorkflowDocument.Serialize(definition, WorkflowDocumentFormat.Yaml), "application/yaml", Encoding.UTF8),
            _ => ApiResults.BadRequest($"Unknown format '{format}': use json or yaml."),
        };
    }

    private static async Task<IResult> StartAsync(HttpContext context, WorkflowEngine engine, string name)
    {
        var (body, problem) = await OptionalBodyAsync<StartRunBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var secrets = ReadSecrets(name, body?.Secrets);
            var run = secrets is null
                ? await engine.StartRunAsync(name, body?.Parameters, body?.Version, context.RequestAborted).ConfigureAwait(false)
                : await engine.StartRunAsync(name, body?.Parameters, secrets, body?.Version, context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(run, StatusCodes.Status202Accepted);
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
        catch (WorkflowValidationException ex)
        {
            return Invalid(ex);
        }
        catch (MeshQueueFullException ex)
        {
            return ApiResults.TooManyRequests(ex.Message, ex.RetryAfter ?? TimeSpan.FromSeconds(5), context);
        }
    }

    /// <summary>The body's <c>secrets</c>: a JSON object of names to text values, or null when absent.</summary>
    /// <exception cref="WorkflowValidationException">It is not an object of strings.</exception>
    private static Dictionary<string, string>? ReadSecrets(string workflow, JsonElement? secrets)
    {
        if (secrets is not { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given)
        {
            return null;
        }

        if (given.ValueKind != JsonValueKind.Object)
        {
            throw new WorkflowValidationException(workflow, [new WorkflowValidationError(WorkflowErrorCodes.InvalidSecret, $"secrets must be a JSON object of names to text values, not {given.ValueKind.ToString().ToLowerInvariant()}.")]);
        }

        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<WorkflowValidationError>();
        foreach (var property in given.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                // The value is not echoed: it may be the secret itself.
                errors.Add(new WorkflowValidationError(WorkflowErrorCodes.InvalidSecret, $"The secret '{property.Name}' must be text (a JSON string), not {property.Value.ValueKind.ToString().ToLowerInvariant()}."));
            }
            else if (!read.TryAdd(property.Name, property.Value.GetString()!))
            {
                errors.Add(new WorkflowValidationError(WorkflowErrorCodes.InvalidSecret, $"The secret '{property.Name}' is given twice."));
            }
        }

        return errors.Count > 0 ? throw new WorkflowValidationException(workflow, errors) : read;
    }

    /// <summary>Where each step of a run started now would go, and why other agents would not take it; starts nothing.</summary>
    private static async Task<IResult> DryRunAsync(HttpContext context, WorkflowEngine engine, Jobs.JobManager jobs, string name)
    {
        var (body, problem) = await OptionalBodyAsync<StartRunBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var definition = await engine.Definitions.GetAsync(name, body?.Version, context.RequestAborted).ConfigureAwait(false);
        if (definition is null)
        {
            return ApiResults.NotFound(body?.Version is { } v ? $"Workflow '{name}' has no version {v}." : $"No workflow named '{name}' is registered.");
        }

        var steps = definition.Steps.Select(step => new
        {
            stepId = step.Id,
            kind = step.Kind,
            command = step.Command,
            stepType = step.StepType,
            condition = step.If,
            plan = step.Kind == WorkflowStepKind.Class ? null : jobs.PlanTargeting(step.Command!, step.Target, allAgents: step.Kind == WorkflowStepKind.FanOut),
        }).ToList();
        var blocked = steps.Where(s => s.plan is { WouldRun: false }).Select(s => s.stepId).ToList();
        return ApiResults.Json(new
        {
            name = definition.Name,
            version = definition.Version,
            wouldRun = blocked.Count == 0,
            blockedSteps = blocked,
            steps,
        });
    }

    private static async Task<IResult> OnAllAsync(HttpContext context, WorkflowRollout rollout, string name)
    {
        var (body, problem) = await OptionalBodyAsync<PerAgentBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            return ApiResults.Json(await rollout.ExecuteOnAllAsync(name, body?.Parameters, body?.Target, context.RequestAborted).ConfigureAwait(false));
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
    }

    private static async Task<IResult> RollingAsync(HttpContext context, WorkflowRollout rollout, string name)
    {
        var (body, problem) = await OptionalBodyAsync<PerAgentBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body?.BatchPercent is not { } percent || percent is < 1 or > 100)
        {
            return ApiResults.BadRequest($"batchPercent must be between 1 and 100; it is {body?.BatchPercent?.ToString(CultureInfo.InvariantCulture) ?? "missing"}.");
        }

        try
        {
            return ApiResults.Json(await rollout.ExecuteRollingAsync(name, percent, body.Parameters, body.Target, context.RequestAborted).ConfigureAwait(false));
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
    }

    private static Task<IResult> RollBackAsync(HttpContext context, WorkflowEngine engine, string id) =>
        ControlAsync(context, body => engine.RollBackRunAsync(id, body?.Reason, context.RequestAborted));

    /// <summary>An optional JSON body: none when the request has no content (no length or a length of 0, and not chunked).</summary>
    internal static async Task<(T? Body, IResult? Problem)> OptionalBodyAsync<T>(HttpContext context)
        where T : class
    {
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count == 0))
        {
            return (null, null);
        }

        return await JsonBody.ReadAsync<T>(context).ConfigureAwait(false);
    }

    private static async Task<IResult> ListRunsAsync(WorkflowEngine engine, string? workflow, string? status, int? limit, CancellationToken cancellationToken)
    {
        WorkflowRunStatus? parsed = null;
        if (status is not null)
        {
            try
            {
                parsed = JsonSerializer.Deserialize<WorkflowRunStatus>($"\"{status}\"");
            }
            catch (JsonException)
            {
                return ApiResults.BadRequest($"Unknown run status '{status}'; use one of {string.Join(", ", Enum.GetValues<WorkflowRunStatus>().Select(WorkflowStatusNames.Of))}.");
            }
        }

        if (limit is < 1 or > 1000)
        {
            return ApiResults.BadRequest($"limit must be between 1 and 1000; it is {limit}.");
        }

        var runs = await engine.ListRunsAsync(new WorkflowRunQuery { Workflow = workflow, Status = parsed, Limit = limit ?? 100 }, cancellationToken).ConfigureAwait(false);
        return ApiResults.Json(runs);
    }

    private static async Task<IResult> GetRunAsync(WorkflowEngine engine, string id, CancellationToken cancellationToken) =>
        await engine.GetRunAsync(id, cancellationToken).ConfigureAwait(false) is { } run
            ? ApiResults.Json(run)
            : ApiResults.NotFound($"No workflow run has the id '{id}'.");

    private static Task<IResult> PauseAsync(HttpContext context, WorkflowEngine engine, string id) =>
        ControlAsync(context, body => engine.PauseRunAsync(id, body?.Reason, context.RequestAborted));

    private static Task<IResult> ResumeAsync(HttpContext context, WorkflowEngine engine, string id) =>
        ControlAsync(context, _ => engine.ResumeRunAsync(id, context.RequestAborted));

    private static Task<IResult> CancelAsync(HttpContext context, WorkflowEngine engine, string id) =>
        ControlAsync(context, body => engine.CancelRunAsync(id, body?.Compensate ?? false, body?.Reason, context.RequestAborted));

    private static async Task<IResult> ControlAsync(HttpContext context, Func<ControlBody?, Task<WorkflowRun>> control)
    {
        var (body, problem) = await OptionalBodyAsync<ControlBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            return ApiResults.Json(await control(body).ConfigureAwait(false));
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
        catch (WorkflowRunStateException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
    }

    private static async Task EventsAsync(HttpContext context, WorkflowEngine engine, TimeProvider time, string id, long? after)
    {
        if (await engine.GetRunAsync(id, context.RequestAborted).ConfigureAwait(false) is null)
        {
            await ApiResults.NotFound($"No workflow run has the id '{id}'.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        // The SSE standard: a reconnecting client sends the id of the last event it saw.
        var (from, problem) = ServerSentEvents.StartOf(context, after);
        if (problem is not null)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        using var lifetime = new StreamLifetime(context, time);
        await ServerSentEvents.WriteAsync(context, engine.WatchRunAsync(id, from, lifetime.Token), e => e.Sequence, e => e.Type, lifetime.Token).ConfigureAwait(false);
        lifetime.CloseIfExpired();
    }

    private static async Task<(WorkflowDocument? Document, IResult? Problem)> ReadDefinitionAsync(HttpContext context)
    {
        if (context.Request.ContentLength > WorkflowLimits.MaxDefinitionBytes)
        {
            return (null, ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "too_large", $"A workflow definition may be at most {WorkflowLimits.MaxDefinitionBytes} bytes; this one is {context.Request.ContentLength}."));
        }

        var (body, problem) = await JsonBody.ReadBytesAsync(context, acceptYaml: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, problem);
        }

        var format = context.Request.ContentType?.Contains("yaml", StringComparison.OrdinalIgnoreCase) == true
            ? WorkflowDocumentFormat.Yaml
            : WorkflowDocumentFormat.Json;
        try
        {
            return (WorkflowDocument.Read(body.Span, format: format), null);
        }
        catch (WorkflowValidationException ex)
        {
            return (null, Invalid(ex));
        }
    }

    internal static IResult Invalid(WorkflowValidationException ex, string code = "invalid_workflow") =>
        Results.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Bad request",
            detail: ex.Message,
            extensions: new Dictionary<string, object?>
            {
                ["code"] = code,
                ["errors"] = ex.Errors.Select(e => new { code = e.Code, stepId = e.StepId, message = e.Message, path = e.Path, line = e.Line, column = e.Column }).ToArray(),
            });

    private sealed record StartRunBody(JsonElement? Parameters, int? Version, JsonElement? Secrets);

    private sealed record ControlBody(string? Reason, bool? Compensate);

    private sealed record PerAgentBody(JsonElement? Parameters, AgentTarget? Target, int? BatchPercent);
}
