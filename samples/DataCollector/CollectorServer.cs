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
        await app.RunAsync(settings["urls"] is null ? "http://127.0.0.1:5080" : null).WaitAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }
}
