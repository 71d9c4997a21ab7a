using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Twins;

namespace OrbitMesh.Server.Api;

/// <summary><c>/api/agents</c>: list, get, pause, resume, and the twin.</summary>
internal static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgentEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/agents", (IAgentRegistry registry, string? status, string? capability, string? group) =>
        {
            AgentStatus? wanted = null;
            if (!string.IsNullOrEmpty(status))
            {
                // Match a single name: Enum.TryParse also takes numbers and comma-separated combinations
                // ("Ready,Paused" parses as Stopped).
                var name = Array.Find(Enum.GetNames<AgentStatus>(), n => string.Equals(n, status, StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    return ApiResults.BadRequest($"Unknown status '{status}'; expected one of: {string.Join(", ", Enum.GetNames<AgentStatus>())}.");
                }

                wanted = Enum.Parse<AgentStatus>(name);
            }

            var agents = registry.GetAgents()
                .Where(a => wanted is null || a.Status == wanted)
                .Where(a => capability is null || a.Capabilities.Contains(capability, StringComparer.Ordinal))
                .Where(a => group is null || a.Groups.Contains(group, StringComparer.Ordinal))
                .ToList();
            return ApiResults.Json(agents);
        }).WithName("ListAgents");

        api.MapGet("/agents/{id}", (IAgentRegistry registry, string id) =>
        {
            // The server decodes every escape in the path except %2F, which would change its segments;
            // agent ids may contain '/', so decode that one here.
            id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            return registry.GetAgent(id) is { } agent
                ? ApiResults.Json(agent)
                : ApiResults.NotFound($"No agent with id '{id}' is known to this server.");
        }).WithName("GetAgent");

        api.MapPost("/agents/{id}/pause", (AgentLifecycleService lifecycle, string id, CancellationToken ct) =>
            ApplyAsync(lifecycle, id, AgentTrigger.Pause, ct)).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("PauseAgent");

        api.MapPost("/agents/{id}/resume", (AgentLifecycleService lifecycle, string id, CancellationToken ct) =>
            ApplyAsync(lifecycle, id, AgentTrigger.Resume, ct)).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("ResumeAgent");

        api.MapGet("/agents/{id}/twin", async (HttpContext context, TwinService twins, IAgentRegistry registry, string id) =>
        {
            if (registry.GetAgent(id) is null)
            {
                return ApiResults.NotFound($"No agent with id '{id}' is known to this server.");
            }

            var twin = await twins.GetAsync(id, context.RequestAborted).ConfigureAwait(false);
            context.Response.Headers.ETag = ETag(twin.DesiredVersion);
            return ApiResults.Json(twin);
        }).WithName("GetTwin");

        api.MapPatch("/agents/{id}/twin", async (HttpContext context, TwinService twins, IAgentRegistry registry, string id) =>
        {
            if (registry.GetAgent(id) is null)
            {
                return ApiResults.NotFound($"No agent with id '{id}' is known to this server.");
            }

            long? ifMatch = null;
            var header = context.Request.Headers.IfMatch.ToString();
            if (header.Length > 0 && header != "*")
            {
                if (!long.TryParse(header.Trim().Trim('W', '/').Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    return ApiResults.BadRequest($"If-Match '{header}' is not a desired version such as \"3\".");
                }

                ifMatch = parsed;
            }

            var (body, problem) = await JsonBody.ReadAsync<JsonElement>(context).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("desired", out var patch) || patch.ValueKind != JsonValueKind.Object)
            {
                return ApiResults.Unprocessable(["The body must be {\"desired\": {...}}, a JSON merge patch of the desired properties."]);
            }

            try
            {
                var twin = await twins.PatchDesiredAsync(id, patch, ifMatch, context.RequestAborted).ConfigureAwait(false);
                context.Response.Headers.ETag = ETag(twin.DesiredVersion);
                return ApiResults.Json(twin);
            }
            catch (TwinVersionMismatchException ex)
            {
                context.Response.Headers.ETag = ETag(ex.CurrentVersion);
                return ApiResults.Problem(StatusCodes.Status412PreconditionFailed, ex.Code, ex.Message);
            }
        }).RequireAuthorization(Security.OrbitMeshPolicies.Operator).WithName("PatchTwin");

        return api;
    }

    private static async Task<IResult> ApplyAsync(AgentLifecycleService lifecycle, string id, AgentTrigger trigger, CancellationToken cancellationToken)
    {
        try
        {
            return await lifecycle.ApplyAsync(id, trigger, "requested through the API", cancellationToken).ConfigureAwait(false) is { } agent
                ? ApiResults.Json(agent)
                : ApiResults.NotFound($"No agent with id '{id}' is known to this server.");
        }
        catch (InvalidAgentTransitionException ex)
        {
            return ApiResults.Conflict(ex.Message);
        }
    }

    private static string ETag(long version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";
}
