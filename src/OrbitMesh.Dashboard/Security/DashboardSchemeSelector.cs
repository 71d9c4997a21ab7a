using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrbitMesh.Server;

namespace OrbitMesh.Dashboard.Security;

/// <summary>The dashboard scheme's choice: the session cookie, unless the server runs in insecure development mode and the request has none.</summary>
internal static class DashboardSchemeSelector
{
    public static string Select(HttpContext context)
    {
        var insecure = context.RequestServices.GetRequiredService<IOptions<OrbitMeshServerOptions>>().Value.Security.InsecureDevelopmentMode;
        return insecure && !context.Request.Cookies.ContainsKey(DashboardAuthenticationDefaults.CookieName)
            ? DashboardAuthenticationDefaults.InsecureScheme
            : DashboardAuthenticationDefaults.CookieScheme;
    }
}
