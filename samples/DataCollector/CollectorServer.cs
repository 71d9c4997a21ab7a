using OrbitMesh.Workflows;

namespace DataCollector;

/// <summary>The mesh server, with the aggregation step and the collect-metrics workflow registered.</summary>
internal static class CollectorServer
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(args);
        var settings = builder.Configuration;
        builder.Services.AddOrbitMesh(options =>
        {
            options.AgentTokens.Add(settings["AgentToken"] ?? "dev-agent-token");
            options.ApiKey = settings["ApiKey"] ?? "dev-api-key";
        })
        .UseSqlite(settings["Database"] ?? "datacollector.db");
        builder.Services.AddOrbitMeshWorkflows();
        builder.Services.AddWorkflowStep<AggregateResults>();
        builder.Services.AddWorkflow(CollectWorkflow.Definition);

        var app = builder.Build();
        app.MapOrbitMesh();
        if (settings["urls"] is null)
        {
            app.Urls.Add("http://127.0.0.1:5080");
        }

        await app.RunAsync(cancellationToken); // Stops gracefully on Ctrl+C or SIGTERM.
        return 0;
    }
}
