namespace OrbitMesh.Server.Security;

/// <summary>A user as the API shows it: never the password hash.</summary>
/// <param name="Username">The login name.</param>
/// <param name="Role">viewer, operator or admin.</param>
/// <param name="CreatedAt">When the user was created.</param>
public sealed record UserView(string Username, string Role, DateTimeOffset CreatedAt);
