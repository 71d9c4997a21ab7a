using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrbitMesh.Server.Hubs;

namespace OrbitMesh.Server.Hosting;

/// <summary>
/// Puts <see cref="HandshakeAdmission"/> first in the request pipeline, for requests to the agent hub
/// path, so an over-budget connect is refused before authentication, routing or the WebSocket upgrade cost anything.
/// </summary>
internal sealed class HandshakeAdmissionStartupFilter(HandshakeAdmission admission, IOptions<OrbitMeshServerOptions> options) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var hubPath = new PathString(options.Value.HubPath);
        app.Use((context, nextMiddleware) => context.Request.Path.StartsWithSegments(hubPath)
            ? admission.InvokeAsync(context, nextMiddleware)
            : nextMiddleware(context));
        next(app);
    };
}
