using System.Reflection;

namespace OrbitMesh.Server;

/// <summary>Facts about this server build.</summary>
public static class ServerInfo
{
    /// <summary>The server's version (the assembly's informational version without build metadata).</summary>
    public static string Version { get; } =
        (typeof(ServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
