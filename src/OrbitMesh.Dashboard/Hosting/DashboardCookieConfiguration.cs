using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrbitMesh.Dashboard.Security;

namespace OrbitMesh.Dashboard.Hosting;

/// <summary>The session cookie: HTTP-only, SameSite=Strict, sliding.</summary>
internal sealed class DashboardCookieConfiguration(DashboardRoute route, IOptions<DashboardOptions> options) : IConfigureNamedOptions<CookieAuthenticationOptions>
{
    public void Configure(string? name, CookieAuthenticationOptions cookie)
    {
        if (name != DashboardAuthenticationDefaults.CookieScheme)
        {
            return;
        }

        cookie.Cookie.Name = DashboardAuthenticationDefaults.CookieName;
        // The root: the components' circuit hub (/_blazor) is outside the prefix and needs the session too.
        cookie.Cookie.Path = "/";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        cookie.LoginPath = route.Prefix.Add("/login");
        cookie.AccessDeniedPath = route.Prefix.Add("/login");
        cookie.ExpireTimeSpan = options.Value.SessionLifetime;
        cookie.SlidingExpiration = true;
        cookie.EventsType = typeof(DashboardSessionValidation);
    }

    public void Configure(CookieAuthenticationOptions options) => Configure(Options.DefaultName, options);
}
