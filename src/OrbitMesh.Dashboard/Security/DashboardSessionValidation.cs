using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Security;

/// <summary>
/// Checks a session cookie against the user store on every request: a deleted user or a changed
/// password (new security stamp) ends the session; a changed role applies from the next request, as it
/// does for the API's access tokens.
/// </summary>
internal sealed class DashboardSessionValidation(UserAccounts users) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var name = context.Principal?.Identity?.Name;
        var user = name is null ? null : await users.GetAsync(name, context.HttpContext.RequestAborted).ConfigureAwait(false);
        var stamp = context.Principal?.FindFirst(DashboardAuthenticationDefaults.StampClaim)?.Value ?? "";
        if (user is null || (user.SecurityStamp ?? "") != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(DashboardAuthenticationDefaults.CookieScheme).ConfigureAwait(false);
            return;
        }

        if (context.Principal!.FindFirst(ApiAuthenticationDefaults.RoleClaim)?.Value != user.Role)
        {
            context.ReplacePrincipal(DashboardPrincipal.Create(user.Username, user.Role, user.SecurityStamp));
            context.ShouldRenew = true;
        }
    }

    // A request the page makes (a form post) is answered with a status, not sent to the sign-in page.
    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.Value!.Contains("/_blazor", StringComparison.Ordinal))
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        }

        return Task.CompletedTask;
    }
}

/// <summary>The identity a dashboard session carries: the user's name, role, audit actor and security stamp.</summary>
internal static class DashboardPrincipal
{
    public static ClaimsPrincipal Create(string username, string role, string? stamp) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, username),
                new Claim(ApiAuthenticationDefaults.RoleClaim, role),
                new Claim(SecurityAudit.ActorClaim, "user:" + username),
                new Claim(ClaimTypes.AuthenticationMethod, "dashboard"),
                new Claim(DashboardAuthenticationDefaults.StampClaim, stamp ?? ""),
            ],
            DashboardAuthenticationDefaults.CookieScheme,
            ClaimTypes.Name,
            ApiAuthenticationDefaults.RoleClaim));
}
