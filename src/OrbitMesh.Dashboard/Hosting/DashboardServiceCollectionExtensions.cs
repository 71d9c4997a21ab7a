using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrbitMesh.Dashboard;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Live;
using OrbitMesh.Dashboard.Security;
using OrbitMesh.Server.Security;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the admin dashboard.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the dashboard's components (interactive server rendering), its cookie session and role
    /// policies, and <see cref="DashboardOptions"/> (validated at start). Call after <c>AddOrbitMesh</c>,
    /// then map it with <c>app.MapOrbitMeshDashboard("/dashboard")</c>.
    /// </summary>
    public static IServiceCollection AddOrbitMeshDashboard(this IServiceCollection services, Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DashboardOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(DashboardRoute)))
        {
            return services;
        }

        services.AddSingleton<DashboardRoute>();
        services.TryAddSingleton<DashboardSessionValidation>();
        services.TryAddSingleton<DashboardChangeFeed>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<CookieAuthenticationOptions>, DashboardCookieConfiguration>());
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();

        // The dashboard's own scheme; the API's policy scheme never forwards to it, so a session cookie
        // authenticates no /api request (and a bearer token or API key no dashboard page).
        services.AddAuthentication()
            .AddPolicyScheme(DashboardAuthenticationDefaults.Scheme, "OrbitMesh dashboard", o => o.ForwardDefaultSelector = DashboardSchemeSelector.Select)
            .AddCookie(DashboardAuthenticationDefaults.CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, InsecureDashboardHandler>(DashboardAuthenticationDefaults.InsecureScheme, configureOptions: null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var (policy, role) in new[]
                 {
                     (DashboardAuthenticationDefaults.ViewerPolicy, OrbitMeshRoles.Viewer),
                     (DashboardAuthenticationDefaults.OperatorPolicy, OrbitMeshRoles.Operator),
                     (DashboardAuthenticationDefaults.AdminPolicy, OrbitMeshRoles.Admin),
                 })
        {
            authorization.AddPolicy(policy, p => p
                .AddAuthenticationSchemes(DashboardAuthenticationDefaults.Scheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new RoleRequirement(role)));
        }

        return services;
    }
}
