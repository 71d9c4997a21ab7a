using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The policy scheme's choice (<see cref="ApiAuthenticationDefaults.Scheme"/>): a request to the agent
/// hub goes to the agents' scheme (node proofs and shared tokens, in the header or the <c>access_token</c>
/// query parameter), so a user's access token never authenticates a hub connection; any other request with
/// an <c>Authorization</c> header goes to JwtBearer (it takes precedence over <c>X-Api-Key</c>, as before);
/// the rest, with an API key or with no credentials, to the API key scheme.
/// </summary>
internal static class ApiSchemeSelector
{
    public static string Select(HttpContext context)
    {
        var hubPath = context.RequestServices.GetRequiredService<IOptions<OrbitMeshServerOptions>>().Value.HubPath;
        if (context.Request.Path.StartsWithSegments(hubPath))
        {
            return AgentAuthenticationDefaults.Scheme;
        }

        return context.Request.Headers.Authorization.ToString().Length > 0
            ? ApiAuthenticationDefaults.BearerScheme
            : ApiAuthenticationDefaults.ApiKeyScheme;
    }
}
