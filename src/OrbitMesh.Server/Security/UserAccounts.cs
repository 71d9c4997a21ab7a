using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>Why creating a user failed.</summary>
internal enum UserCreateOutcome
{
    Created,
    Invalid,
    Exists,
}

/// <summary>
/// Users in the <see cref="ISecurityStore"/> (kind <c>user</c>, id the username), with passwords hashed
/// by ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, versioned format).
/// </summary>
internal sealed partial class UserAccounts(ISecurityStore store, TimeProvider time)
{
    /// <summary>The shortest password accepted.</summary>
    public const int MinimumPasswordLength = 12;

    private static readonly PasswordHasher<string> Hasher = new();

    // Verified against when the user does not exist, so an unknown name takes as long as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword("", "orbitmesh-dummy-password"));

    /// <summary>The problems with a new user's fields, empty when it is valid.</summary>
    public static List<string> Validate(string? username, string? password, string? role)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(username) || !UsernamePattern().IsMatch(username))
        {
            errors.Add("The username must be 1 to 64 characters: letters, digits, '.', '-', '_' or '@', starting with a letter or digit.");
        }

        if (string.IsNullOrEmpty(password) || password.Length < MinimumPasswordLength)
        {
            errors.Add($"The password must be at least {MinimumPasswordLength} characters long.");
        }
        else if (password.Length > 1024)
        {
            errors.Add("The password must be at most 1,024 characters long.");
        }

        if (!OrbitMeshRoles.IsKnown(role))
        {
            errors.Add($"The role must be one of: {string.Join(", ", OrbitMeshRoles.All)}.");
        }

        return errors;
    }

    public async Task<(UserCreateOutcome Outcome, List<string> Errors)> CreateAsync(string? username, string? password, string? role, CancellationToken cancellationToken = default)
    {
        var errors = Validate(username, password, role);
        if (errors.Count > 0)
        {
            return (UserCreateOutcome.Invalid, errors);
        }

        var record = new UserRecord(username!, Hasher.HashPassword(username!, password!), role!, time.GetUtcNow());
        var saved = await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.User, username!, record), cancellationToken).ConfigureAwait(false);
        return saved ? (UserCreateOutcome.Created, errors) : (UserCreateOutcome.Exists, [$"A user named '{username}' already exists."]);
    }

    public async Task<UserRecord?> GetAsync(string username, CancellationToken cancellationToken = default)
    {
        if (!UsernamePattern().IsMatch(username))
        {
            return null;
        }

        var document = await store.GetAsync(SecurityKinds.User, username, cancellationToken).ConfigureAwait(false);
        return document is null ? null : SecurityKinds.Read<UserRecord>(document);
    }

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var documents = await store.ListAsync(SecurityKinds.User, cancellationToken).ConfigureAwait(false);
        return documents
            .Select(d => SecurityKinds.Read<UserRecord>(d))
            .Select(u => new UserView(u.Username, u.Role, u.CreatedAt))
            .ToList();
    }

    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(SecurityKinds.User, cancellationToken).ConfigureAwait(false)).Count > 0;

    public ValueTask<bool> DeleteAsync(string username, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(SecurityKinds.User, username, cancellationToken);

    /// <summary>The user when the password is right; otherwise null and why (for the audit trail, not the caller).</summary>
    public async Task<(UserRecord? User, string? Failure)> VerifyAsync(string? username, string? password, CancellationToken cancellationToken = default)
    {
        var user = string.IsNullOrEmpty(username) ? null : await GetAsync(username, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            Hasher.VerifyHashedPassword("", DummyHash.Value, password ?? "");
            return (null, "unknown user");
        }

        return Hasher.VerifyHashedPassword(user.Username, user.PasswordHash, password ?? "") == PasswordVerificationResult.Failed
            ? (null, "wrong password")
            : (user, null);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex UsernamePattern();
}
