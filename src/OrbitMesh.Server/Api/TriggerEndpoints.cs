using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Api;

/// <summary>
/// Triggers under <c>/api/triggers</c> (viewer reads; operator creates, changes, fires and deletes),
/// custom events at <c>POST /api/events</c> (operator), and webhook deliveries at
/// <c>POST /api/hooks/{name}</c>: anonymous, because the sender holds no OrbitMesh credential, and
/// authenticated instead by the HMAC signature of the trigger's secret; refusals are audited.
/// </summary>
internal static class TriggerEndpoints
{
    /// <summary>The header carrying a webhook delivery's Unix time.</summary>
    public const string TimestampHeader = "X-OrbitMesh-Timestamp";

    /// <summary>The header carrying a webhook delivery's signature.</summary>
    public const string SignatureHeader = "X-OrbitMesh-Signature";

    public static void MapTriggerEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/triggers", ListAsync).WithName("ListTriggers");
        api.MapGet("/triggers/{name}", GetAsync).WithName("GetTrigger");
        api.MapPost("/triggers", SaveAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("SaveTrigger");
        api.MapPost("/triggers/{name}/enable", (HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name) => SetEnabledAsync(context, triggers, audit, name, true))
            .RequireAuthorization(OrbitMeshPolicies.Operator).WithName("EnableTrigger");
        api.MapPost("/triggers/{name}/disable", (HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name) => SetEnabledAsync(context, triggers, audit, name, false))
            .RequireAuthorization(OrbitMeshPolicies.Operator).WithName("DisableTrigger");
        api.MapPost("/triggers/{name}/fire", FireAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("FireTrigger");
        api.MapPost("/triggers/{name}/rotate-secret", RotateAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("RotateTriggerSecret");
        api.MapDelete("/triggers/{name}", DeleteAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("DeleteTrigger");
        api.MapPost("/events", PostEventAsync).RequireAuthorization(OrbitMeshPolicies.Operator).WithName("PostEvent");
        api.MapPost("/hooks/{name}", WebhookAsync).AllowAnonymous().WithName("DeliverWebhook");
    }

    private static async Task<IResult> ListAsync(WorkflowTriggers triggers, CancellationToken cancellationToken) =>
        ApiResults.Json(await triggers.ListAsync(cancellationToken).ConfigureAwait(false));

    private static async Task<IResult> GetAsync(WorkflowTriggers triggers, string name, string? format, CancellationToken cancellationToken)
    {
        if (await triggers.GetAsync(name, cancellationToken).ConfigureAwait(false) is not { } info)
        {
            return ApiResults.NotFound($"No trigger is named '{name}'.");
        }

        return format?.ToUpperInvariant() switch
        {
            null => ApiResults.Json(info),
            "JSON" => Results.Text(WorkflowTriggerDocument.Serialize(info.Trigger, WorkflowDocumentFormat.Json), "application/json", Encoding.UTF8),
            "YAML" => Results.Text(WorkflowTriggerDocument.Serialize(info.Trigger, WorkflowDocumentFormat.Yaml), "application/yaml", Encoding.UTF8),
            _ => ApiResults.BadRequest($"Unknown format '{format}': use json or yaml."),
        };
    }

    private static async Task<IResult> SaveAsync(HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadBytesAsync(context, acceptYaml: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var format = context.Request.ContentType?.Contains("yaml", StringComparison.OrdinalIgnoreCase) == true ? WorkflowDocumentFormat.Yaml : WorkflowDocumentFormat.Json;
        try
        {
            var trigger = WorkflowTriggerDocument.Parse(body.Span, time.GetUtcNow(), format: format);
            var saved = await triggers.SaveAsync(trigger, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.TriggerChanged, trigger.Name, context, reason: saved.Created ? "created" : "replaced", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(new { name = saved.Name, created = saved.Created, secret = saved.Secret }, saved.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (WorkflowValidationException ex)
        {
            return WorkflowEndpoints.Invalid(ex, "invalid_trigger");
        }
        catch (MeshQueueFullException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
        catch (WorkflowRunStateException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
    }

    private static async Task<IResult> SetEnabledAsync(HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name, bool enabled)
    {
        try
        {
            var info = await triggers.SetEnabledAsync(name, enabled, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.TriggerChanged, name, context, reason: enabled ? "enabled" : "disabled", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(info);
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

    private static async Task<IResult> FireAsync(HttpContext context, WorkflowTriggers triggers, string name)
    {
        var (body, problem) = await WorkflowEndpoints.OptionalBodyAsync<FireBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        try
        {
            var firing = await triggers.FireAsync(name, body?.Parameters, SecurityAudit.ActorOf(context.User), context.RequestAborted).ConfigureAwait(false);
            return firing.Error is { } error
                ? ApiResults.Problem(StatusCodes.Status422UnprocessableEntity, "run_refused", error)
                : ApiResults.Json(firing, StatusCodes.Status202Accepted);
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
        catch (WorkflowRunStateException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
        catch (WorkflowValidationException ex)
        {
            return WorkflowEndpoints.Invalid(ex, "invalid_parameters");
        }
    }

    private static async Task<IResult> RotateAsync(HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name)
    {
        try
        {
            var saved = await triggers.RotateSecretAsync(name, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.TriggerChanged, name, context, reason: "secret rotated", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(new { name = saved.Name, secret = saved.Secret });
        }
        catch (WorkflowNotFoundException ex)
        {
            return ApiResults.NotFound(ex.Message);
        }
        catch (WorkflowRunStateException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
        catch (WorkflowValidationException ex)
        {
            return WorkflowEndpoints.Invalid(ex, "invalid_trigger");
        }
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name)
    {
        try
        {
            if (!await triggers.DeleteAsync(name, context.RequestAborted).ConfigureAwait(false))
            {
                return ApiResults.NotFound($"No trigger is named '{name}'.");
            }
        }
        catch (WorkflowRunStateException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }

        await audit.RecordAsync(AuditEventTypes.TriggerChanged, name, context, reason: "deleted", cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> PostEventAsync(HttpContext context, WorkflowTriggers triggers)
    {
        var (body, problem) = await JsonBody.ReadAsync<EventBody>(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(body!.Type))
        {
            return ApiResults.BadRequest("An event needs a 'type', such as deploy.requested.");
        }

        try
        {
            var meshEvent = new MeshEvent { Type = body.Type, Data = body.Data, Source = SecurityAudit.ActorOf(context.User) ?? "anonymous" };
            var firings = await triggers.PostEventAsync(meshEvent, context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(new { id = meshEvent.Id, type = meshEvent.Type, runs = firings }, StatusCodes.Status202Accepted);
        }
        catch (WorkflowValidationException ex)
        {
            return WorkflowEndpoints.Invalid(ex, "invalid_event");
        }
    }

    private static async Task<IResult> WebhookAsync(HttpContext context, WorkflowTriggers triggers, SecurityAudit audit, string name)
    {
        var limit = triggers.Options.MaxWebhookBodyBytes;
        if (await JsonBody.ReadLimitedAsync(context, limit).ConfigureAwait(false) is not { } body)
        {
            return TooLarge(limit);
        }

        var outcome = await triggers.AcceptWebhookAsync(
            name,
            context.Request.Headers[TimestampHeader].FirstOrDefault(),
            context.Request.Headers[SignatureHeader].FirstOrDefault(),
            body,
            context.RequestAborted).ConfigureAwait(false);
        if (outcome.Status is WebhookStatus.Unauthorized or WebhookStatus.NotFound)
        {
            await audit.RecordAsync(AuditEventTypes.WebhookRefused, name, context, success: false, reason: outcome.Reason, actor: "webhook", cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }

        return outcome.Status switch
        {
            WebhookStatus.Accepted => ApiResults.Json(new { runId = outcome.RunId }, StatusCodes.Status202Accepted),
            WebhookStatus.NotFound => ApiResults.NotFound(outcome.Reason!),
            WebhookStatus.Unauthorized => ApiResults.Problem(StatusCodes.Status401Unauthorized, "bad_signature", outcome.Reason!),
            WebhookStatus.Disabled => ApiResults.Conflict(outcome.Reason!),
            WebhookStatus.Unprocessable => ApiResults.Problem(StatusCodes.Status422UnprocessableEntity, "run_refused", outcome.Reason!),
            _ => ApiResults.BadRequest(outcome.Reason!),
        };
    }

    private static IResult TooLarge(int limit) =>
        ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "too_large", $"A webhook body may be at most {limit:N0} bytes (MaxWebhookBodyBytes).");

    private sealed record FireBody(JsonElement? Parameters);

    private sealed record EventBody(string? Type, JsonElement? Data);
}
