using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Dashboard.Components;
using OrbitMesh.Dashboard.Endpoints;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the admin dashboard.</summary>
public static class DashboardEndpointRouteBuilderExtensions
{
    private sealed class CompositeConventionBuilder(params IEndpointConventionBuilder[] builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }

        public void Finally(Action<EndpointBuilder> finallyConvention)
        {
            foreach (var builder in builders)
            {
                builder.Finally(finallyConvention);
            }
        }
    }

    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/> (<c>/dashboard</c>, the only prefix supported): its pages, the
    /// components' circuit hub, the sign-in and sign-out forms and the actions its buttons post. Every
    /// page and action needs a signed-in user (viewer; actions ask for operator or admin), except the
    /// sign-in page and the script and style sheet it loads.
    /// </summary>
    public static IEndpointConventionBuilder MapOrbitMeshDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/dashboard")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var route = endpoints.ServiceProvider.GetService<DashboardRoute>()
            ?? throw new InvalidOperationException("The dashboard's services are not registered: call services.AddOrbitMeshDashboard() before app.MapOrbitMeshDashboard().");
        if (new PathString("/" + prefix.Trim('/')) != route.Prefix)
        {
            throw new ArgumentException($"The dashboard is served at {DashboardRoute.Path} only (its pages' routes are compiled with the prefix).", nameof(prefix));
        }

        route.MarkMapped();
        var group = endpoints.MapGroup(DashboardRoute.Path);
        group.MapDashboardAssets();
        group.MapSessionEndpoints();
        group.MapActionEndpoints();

        // Pages and the components' circuit hub (/_blazor: the framework maps it beside the pages). The
        // pages take no form posts (every form posts to an action endpoint, which validates the
        // antiforgery token itself), so the host needs no antiforgery middleware for them.
        var pages = endpoints.MapRazorComponents<App>()
            .AddInteractiveServerRenderMode()
            .RequireAuthorization(DashboardAuthenticationDefaults.ViewerPolicy)
            .DisableAntiforgery();
        return new CompositeConventionBuilder(group, pages);
    }
}
