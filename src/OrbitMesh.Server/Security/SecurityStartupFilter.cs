using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Puts the rate limiter into the pipeline without the app author adding it. The limiter reads the
/// endpoint's policy (<c>RequireRateLimiting</c>), so it must run after routing, and the API policy
/// is partitioned by the caller's identity, so after authentication; a startup filter runs before the
/// routing that minimal hosting adds. So this filter routes first itself, over the app's endpoints
/// (the later routing then sees the endpoint chosen and skips), authenticates <c>/api</c> requests
/// (the result is cached for the request, so the authorization that follows does not repeat it), and
/// then runs the limiter.
/// </summary>
internal sealed class SecurityStartupFilter : IStartupFilter
{
    // Where UseRouting keeps the route builder it matches with (EndpointRoutingApplicationBuilderExtensions).
    private const string EndpointRouteBuilderKey = "__EndpointRouteBuilder";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseRouting();
        if (app.Properties.TryGetValue(EndpointRouteBuilderKey, out var value) && value is IEndpointRouteBuilder routes)
        {
            // Every endpoint the app maps, however it maps them (the same source CallableSurfaceTests reads).
            routes.DataSources.Add(app.ApplicationServices.GetRequiredService<EndpointDataSource>());
        }

        var api = new PathString("/api");
        app.Use(async (context, nextMiddleware) =>
        {
            if (context.Request.Path.StartsWithSegments(api))
            {
                var result = await context.AuthenticateAsync(ApiAuthenticationDefaults.Scheme).ConfigureAwait(false);
                if (result.Succeeded)
                {
                    context.User = result.Principal;
                }
            }

            await nextMiddleware(context).ConfigureAwait(false);
        });
        app.UseRateLimiter();
        next(app);
    };
}
