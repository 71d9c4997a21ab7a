namespace OrbitMesh.Server.Security;

/// <summary>An API key as the API lists it: never its secret.</summary>
/// <param name="Id">The key's id (the middle part of <c>omk_ID_SECRET</c>).</param>
/// <param name="Name">A label for people.</param>
/// <param name="Role">viewer, operator or admin.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">The actor that created it.</param>
/// <param name="ExpiresAt">When it stops working; null for a key that does not expire.</param>
/// <param name="Expired">Whether that time has come (the key is refused; revoke it to remove it from the list).</param>
public sealed record ApiKeyView(string Id, string Name, string Role, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? ExpiresAt = null, bool Expired = false);
