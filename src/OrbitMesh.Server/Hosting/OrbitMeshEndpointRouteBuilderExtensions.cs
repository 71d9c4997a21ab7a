using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrbitMesh.Server;
using OrbitMesh.Server.Api;
using OrbitMesh.Server.Diagnostics;
using OrbitMesh.Server.Hosting;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the OrbitMesh endpoints.</summary>
public static class OrbitMeshEndpointRouteBuilderExtensions
{
    internal const string ReadyTag = "orbitmesh-ready";

    /// <summary>
    /// Maps the agent hub (default <c>/mesh</c>), the REST API under <c>/api</c> (with the workflow API
    /// when <c>AddOrbitMeshWorkflows()</c> registered the engine), <c>/metrics</c>
    /// (Prometheus text format), and <c>/health/live</c> and <c>/health/ready</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapOrbitMesh(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<OrbitMeshMarkerService>() is null)
        {
            throw new InvalidOperationException("OrbitMesh services are not registered: call services.AddOrbitMesh() before app.MapOrbitMesh().");
        }

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<OrbitMeshServerOptions>>().Value;
        // Stateful reconnect (opt-in): an agent whose connection is cut for a moment resumes it (the messages
        // either side missed are replayed from a buffer) instead of reconnecting and registering again.
        var hub = endpoints.MapHub<AgentHub>(options.HubPath, o =>
        {
            o.Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;
            o.AllowStatefulReconnects = options.AllowStatefulReconnects;
        });

        // Every /api endpoint needs at least the viewer role (writes ask for more on the endpoint) and is
        // rate limited per identity; an endpoint's own AllowAnonymous or RequireRateLimiting wins.
        var api = endpoints.MapGroup("/api")
            .RequireAuthorization(OrbitMeshPolicies.Viewer)
            .RequireRateLimiting(OrbitMeshPolicies.ApiRateLimit);
        api.MapAgentEndpoints();
        api.MapJobEndpoints();
        api.MapTokenEndpoints();
        api.MapNodeEndpoints();
        api.MapAuditEndpoints();
        api.MapEnrollmentEndpoints();
        api.MapAuthEndpoints();
        api.MapUserEndpoints();
        api.MapApiKeyEndpoints();
        api.MapModuleEndpoints(options.Security.OperatorsMayUploadModules);
        endpoints.MapAgentModuleEndpoints();
        if (endpoints.ServiceProvider.GetService<OrbitMesh.Workflows.WorkflowEngine>() is not null)
        {
            api.MapWorkflowEndpoints();
            api.MapTriggerEndpoints();
        }

        // Listen from now on (measurements made before a listener exists are lost), and create the instruments.
        endpoints.ServiceProvider.GetRequiredService<PrometheusMetricsCollector>();
        endpoints.ServiceProvider.GetRequiredService<OrbitMeshMetrics>();
        // /metrics stays anonymous, like the health endpoints: Prometheus scrapers rarely carry credentials,
        // and it exposes counts only (no ids, names or payloads). Restrict it at the network if needed.
        var metrics = endpoints.MapGet("/metrics", (PrometheusMetricsCollector collector) =>
        {
            var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            collector.Write(text);
            return Results.Text(text.ToString(), PrometheusMetricsCollector.ContentType);
        }).ExcludeFromDescription();

        var live = endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        var ready = endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        return new CompositeConventionBuilder([hub, api, metrics, live, ready]);
    }

    private sealed class CompositeConventionBuilder(IEndpointConventionBuilder[] builders) : IEndpointConventionBuilder
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
}
