namespace OrbitMesh.Server.Security;

/// <summary>
/// The roles of users and API keys. Each includes the ones below it: a viewer reads; an operator also
/// runs and cancels jobs and workflows and drives agents; an admin also approves nodes and manages
/// tokens, users and API keys.
/// </summary>
public static class OrbitMeshRoles
{
    /// <summary>Reads agents, jobs, twins and the audit trail.</summary>
    public const string Viewer = "viewer";

    /// <summary>A viewer who also runs, cancels and invokes.</summary>
    public const string Operator = "operator";

    /// <summary>An operator who also manages security: nodes, bootstrap tokens, users, API keys.</summary>
    public const string Admin = "admin";

    /// <summary>Every role, lowest first.</summary>
    public static IReadOnlyList<string> All { get; } = [Viewer, Operator, Admin];

    /// <summary>True when <paramref name="role"/> is one of <see cref="All"/>.</summary>
    public static bool IsKnown(string? role) => role is Viewer or Operator or Admin;

    /// <summary>True when a holder of <paramref name="role"/> may do what <paramref name="required"/> may.</summary>
    public static bool Includes(string? role, string required) => Rank(role) >= Rank(required) && Rank(required) > 0;

    private static int Rank(string? role) => role switch
    {
        Viewer => 1,
        Operator => 2,
        Admin => 3,
        _ => 0,
    };
}
