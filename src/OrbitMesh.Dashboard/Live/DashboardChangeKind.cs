namespace OrbitMesh.Dashboard.Live;

/// <summary>What changed on the server, as far as an open page cares.</summary>
[Flags]
internal enum DashboardChangeKind
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>An agent connected or left.</summary>
    Agents = 1,

    /// <summary>A job recorded an event (status change, progress, item) or ended.</summary>
    Jobs = 2,

    /// <summary>A workflow run ended.</summary>
    Runs = 4,

    /// <summary>A security event was audited: a node enrolled or decided, a token, user or API key changed, a sign-in refused.</summary>
    Security = 8,

    /// <summary>An agent's twin changed: desired or reported properties, or the agent's acknowledgement.</summary>
    Twin = 16,
}
