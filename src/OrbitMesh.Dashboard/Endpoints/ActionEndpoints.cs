using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Dashboard.Components;
using OrbitMesh.Dashboard.Components.Pages;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Security;
using OrbitMesh.Security;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Security.Nodes;
using OrbitMesh.Workflows;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>
/// What the dashboard's buttons post (<c>{prefix}/actions/...</c>). Each checks the role on the server
/// (operator for jobs and agents, admin for nodes and tokens) and the form's antiforgery token, then
/// sends the browser back to the page it came from (303), with a note in the query.
/// </summary>
internal static class ActionEndpoints
{
    public static void MapActionEndpoints(this RouteGroupBuilder group)
    {
        var actions = group.MapGroup("/actions")
            .RequireAuthorization(DashboardAuthenticationDefaults.ViewerPolicy)
            .AddEndpointFilter(AntiforgeryCheck.RequireValidTokenAsync)
            .DisableAntiforgery()
            .ExcludeFromDescription();

        actions.MapPost("/jobs/{id}/cancel", CancelJobAsync).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/agents/{id}/pause", (HttpContext c, DashboardRoute r, AgentLifecycleService l, string id) => AgentAsync(c, r, l, id, AgentTrigger.Pause)).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/agents/{id}/resume", (HttpContext c, DashboardRoute r, AgentLifecycleService l, string id) => AgentAsync(c, r, l, id, AgentTrigger.Resume)).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/workflows/{name}/runs", StartRunAsync).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/workflow-runs/{id}/pause", (HttpContext c, DashboardRoute r, IServiceProvider s, string id) => ControlRunAsync(c, r, s, id, RunControl.Pause)).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/workflow-runs/{id}/resume", (HttpContext c, DashboardRoute r, IServiceProvider s, string id) => ControlRunAsync(c, r, s, id, RunControl.Resume)).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/workflow-runs/{id}/cancel", (HttpContext c, DashboardRoute r, IServiceProvider s, string id) => ControlRunAsync(c, r, s, id, RunControl.Cancel)).RequireAuthorization(DashboardAuthenticationDefaults.OperatorPolicy);
        actions.MapPost("/nodes/{id}/approve", ApproveNodeAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/nodes/{id}/reject", RejectNodeAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/tokens", CreateTokenAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/tokens/{id}/revoke", RevokeTokenAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapRerunEndpoints();
        actions.MapSecurityActionEndpoints();
    }

    private static async Task<IResult> CancelJobAsync(HttpContext context, DashboardRoute route, IMeshClient mesh, string id)
    {
        var ct = context.RequestAborted;
        var job = await mesh.GetJobAsync(id, ct).ConfigureAwait(false);
        if (job is null)
        {
            return await BackAsync(context, route, $"No job {id} exists.").ConfigureAwait(false);
        }

        if (job.IsFinal)
        {
            return await BackAsync(context, route, $"Job {id} already ended {job.Status}.").ConfigureAwait(false);
        }

        await mesh.CancelJobAsync(id, ct).ConfigureAwait(false);
        return await BackAsync(context, route, $"Cancellation of job {id} requested.").ConfigureAwait(false);
    }

    private static async Task<IResult> AgentAsync(HttpContext context, DashboardRoute route, AgentLifecycleService lifecycle, string id, AgentTrigger trigger)
    {
        var agent = await lifecycle.ApplyAsync(id, trigger, "dashboard: " + (context.User.Identity?.Name ?? "anonymous"), context.RequestAborted).ConfigureAwait(false);
        return await BackAsync(context, route, agent is null ? $"No agent {id} is known." : $"Agent {id} is {agent.Status}.").ConfigureAwait(false);
    }

    private static async Task<IResult> ApproveNodeAsync(HttpContext context, DashboardRoute route, NodeService nodes, string id)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var text = form["capabilities"].ToString();
        var grants = form.ContainsKey("capabilities") ? text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
        var (node, _, problem) = await nodes.ApproveAsync(id, new NodeDecision { Capabilities = grants }, context, context.RequestAborted).ConfigureAwait(false);
        return await BackAsync(context, route, node is null ? problem ?? $"Node {id} was not approved." : $"Node {id} approved.").ConfigureAwait(false);
    }

    private static async Task<IResult> RejectNodeAsync(HttpContext context, DashboardRoute route, NodeService nodes, string id)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var reason = form["reason"].ToString();
        var (node, _, problem) = await nodes.RejectAsync(id, new NodeDecision { Reason = reason.Length > 0 ? reason : "rejected in the dashboard" }, context, context.RequestAborted).ConfigureAwait(false);
        return await BackAsync(context, route, node is null ? problem ?? $"Node {id} was not rejected." : $"Node {id} rejected.").ConfigureAwait(false);
    }

    private static async Task<IResult> CreateTokenAsync(HttpContext context, DashboardRoute route, BootstrapTokenService tokens)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var uses = int.TryParse(form["uses"], System.Globalization.CultureInfo.InvariantCulture, out var u) ? u : 1;
        var hours = double.TryParse(form["ttlHours"], System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : 1;
        var capabilities = form["capabilities"].ToString().Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var description = form["description"].ToString();
        var (token, problem) = await tokens.CreateAsync(new BootstrapTokenRequest
        {
            Uses = uses,
            TtlSeconds = hours * 3600,
            Capabilities = capabilities,
            Description = description.Length > 0 ? description : null,
        }, context, context.RequestAborted).ConfigureAwait(false);
        if (token is null)
        {
            return await BackAsync(context, route, problem ?? "The token was not created.").ConfigureAwait(false);
        }

        // Shown once, in this answer only: never stored in clear, never put in a URL.
        context.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<TokenCreated>(new Dictionary<string, object?>
        {
            [nameof(TokenCreated.Token)] = token,
            [nameof(TokenCreated.BaseHref)] = DashboardRoute.BaseHref,
        });
    }

    private static async Task<IResult> RevokeTokenAsync(HttpContext context, DashboardRoute route, BootstrapTokenService tokens, string id)
    {
        var revoked = await tokens.RevokeAsync(id, context, context.RequestAborted).ConfigureAwait(false);
        return await BackAsync(context, route, revoked ? $"Token {id} revoked." : $"No token {id} exists.").ConfigureAwait(false);
    }

    private enum RunControl
    {
        Pause,
        Resume,
        Cancel,
    }

    private static async Task<IResult> StartRunAsync(HttpContext context, DashboardRoute route, IServiceProvider services, string name)
    {
        if (services.GetService<WorkflowEngine>() is not { } engine)
        {
            return await BackAsync(context, route, "The workflow engine is not registered on this server.").ConfigureAwait(false);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var text = form["parameters"].ToString().Trim();
        JsonElement? parameters = null;
        if (text.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return await BackAsync(context, route, "The parameters must be a JSON object, such as { \"name\": \"Ada\" }.").ConfigureAwait(false);
                }

                parameters = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                return await BackAsync(context, route, $"The parameters are not JSON: {ex.Message}").ConfigureAwait(false);
            }
        }

        int? version = int.TryParse(form["version"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
        try
        {
            var run = await engine.StartRunAsync(name, parameters, version, context.RequestAborted).ConfigureAwait(false);
            return Results.Redirect(route.Prefix.Value + "/workflow-runs/" + Uri.EscapeDataString(run.RunId) + "?note=" + Uri.EscapeDataString($"Run {run.RunId} of {name} v{run.Version} started."), preserveMethod: false);
        }
        catch (Exception ex) when (ex is WorkflowNotFoundException or WorkflowValidationException or MeshQueueFullException)
        {
            // Deliberate messages: what is missing or invalid, or that the queue is full.
            return await BackAsync(context, route, ex.Message).ConfigureAwait(false);
        }
    }

    private static async Task<IResult> ControlRunAsync(HttpContext context, DashboardRoute route, IServiceProvider services, string id, RunControl control)
    {
        if (services.GetService<WorkflowEngine>() is not { } engine)
        {
            return await BackAsync(context, route, "The workflow engine is not registered on this server.").ConfigureAwait(false);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var reason = "dashboard: " + (context.User.Identity?.Name ?? "anonymous");
        try
        {
            var run = control switch
            {
                RunControl.Pause => await engine.PauseRunAsync(id, reason, context.RequestAborted).ConfigureAwait(false),
                RunControl.Resume => await engine.ResumeRunAsync(id, context.RequestAborted).ConfigureAwait(false),
                _ => await engine.CancelRunAsync(id, compensate: form["compensate"] == "true", reason, context.RequestAborted).ConfigureAwait(false),
            };
            var done = control switch { RunControl.Pause => "pause", RunControl.Resume => "resumption", _ => "cancellation" };
            return await BackAsync(context, route, $"Run {id}: {done} requested; it is {WorkflowViews.Name(run.Status)}.").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WorkflowNotFoundException or WorkflowRunStateException)
        {
            return await BackAsync(context, route, ex.Message).ConfigureAwait(false);
        }
    }

    /// <summary>303 to the form's <c>returnUrl</c> (inside the dashboard only) with <paramref name="note"/>.</summary>
    internal static async Task<IResult> BackAsync(HttpContext context, DashboardRoute route, string note)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var back = route.LocalOrHome(form["returnUrl"].ToString());
        var path = back.Split('?')[0];
        context.Response.Headers.Location = path + "?note=" + Uri.EscapeDataString(note);
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }
}
