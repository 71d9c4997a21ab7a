namespace OrbitMesh.Server.Security;

/// <summary>A newly created API key: the only time its full value is shown.</summary>
/// <param name="Id">The key's id.</param>
/// <param name="Name">A label for people.</param>
/// <param name="Role">viewer, operator or admin.</param>
/// <param name="Key">The key to present in <c>X-Api-Key</c>; not retrievable later.</param>
/// <param name="ExpiresAt">When it stops working; null for a key that does not expire.</param>
public sealed record CreatedApiKey(string Id, string Name, string Role, string Key, DateTimeOffset? ExpiresAt = null);
