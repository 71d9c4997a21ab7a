using OrbitMesh.Workflows;

// The shortest complete OrbitMesh server: agents connect to /mesh with a shared token, jobs and
// workflows are kept in SQLite, and the REST API (/api/*) accepts the API key as X-Api-Key.
// Settings come from the command line or the environment: --urls, --AgentToken, --ApiKey, --Database.
var builder = WebApplication.CreateBuilder(args);
var settings = builder.Configuration;

builder.Services.AddOrbitMesh(options =>
{
    options.AgentTokens.Add(settings["AgentToken"] ?? "dev-agent-token");
    options.ApiKey = settings["ApiKey"] ?? "dev-api-key";
})
.UseSqlite(settings["Database"] ?? "orbitmesh.db");
builder.Services.AddOrbitMeshWorkflows();

var app = builder.Build();
app.MapOrbitMesh();
app.Run(settings["urls"] is null ? "http://127.0.0.1:5080" : null);
