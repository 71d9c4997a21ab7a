using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Security;

/// <summary>
/// With <c>--insecure-development</c> only: a request without a session cookie acts as an admin named
/// <c>anonymous</c>, like the REST API in that mode. <see cref="DashboardSchemeSelector"/> never picks it otherwise.
/// </summary>
internal sealed class InsecureDashboardHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var principal = ApiPrincipal.Create("anonymous", "anonymous", OrbitMeshRoles.Admin, "anonymous");
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }
}
