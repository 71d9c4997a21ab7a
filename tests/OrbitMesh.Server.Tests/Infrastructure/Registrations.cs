using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>Registrations for tests.</summary>
internal static class Registrations
{
    public static AgentRegistration Valid(string id, string[]? capabilities = null, string[]? groups = null) => new()
    {
        Id = id,
        Name = "Agent " + id,
        Capabilities = capabilities ?? [],
        Groups = groups ?? [],
        Commands = ["noop"],
        MaxConcurrentJobs = 2,
        Version = "1.2.3",
    };
}
