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

/// <summary>What changing a user's password or role came to.</summary>
internal enum UserChangeOutcome
{
    Changed,
    Unchanged,
    Invalid,
    NotFound,
    LastAdmin,
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

        errors.AddRange(ValidatePassword(password));
        if (!OrbitMeshRoles.IsKnown(role))
        {
            errors.Add($"The role must be one of: {string.Join(", ", OrbitMeshRoles.All)}.");
        }

        return errors;
    }

    /// <summary>The problems with a new password, empty when it is acceptable.</summary>
    public static IEnumerable<string> ValidatePassword(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < MinimumPasswordLength)
        {
            yield return $"The password must be at least {MinimumPasswordLength} characters long.";
        }
        else if (password.Length > 1024)
        {
            yield return "The password must be at most 1,024 characters long.";
        }
    }

    public async Task<(UserCreateOutcome Outcome, List<string> Errors)> CreateAsync(string? username, string? password, string? role, CancellationToken cancellationToken = default)
    {
        var errors = Validate(username, password, role);
        if (errors.Count > 0)
        {
            return (UserCreateOutcome.Invalid, errors);
        }

        var record = new UserRecord(username!, Hasher.HashPassword(username!, password!), role!, time.GetUtcNow(), NewStamp());
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

    /// <summary>Deletes a user; refused (<see cref="UserChangeOutcome.LastAdmin"/>) for the last admin, so someone can always log in to manage the server.</summary>
    public async Task<UserChangeOutcome> DeleteAsync(string username, CancellationToken cancellationToken = default)
    {
        var user = await GetAsync(username, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return UserChangeOutcome.NotFound;
        }

        if (user.Role == OrbitMeshRoles.Admin && await IsLastAdminAsync(username, cancellationToken).ConfigureAwait(false))
        {
            return UserChangeOutcome.LastAdmin;
        }

        return await store.DeleteAsync(SecurityKinds.User, username, cancellationToken).ConfigureAwait(false) ? UserChangeOutcome.Changed : UserChangeOutcome.NotFound;
    }

    /// <summary>
    /// Sets a user's password and gives them a new security stamp, so every access token issued before
    /// is refused from the next request on (the caller revokes the refresh tokens).
    /// </summary>
    public async Task<(UserChangeOutcome Outcome, List<string> Errors)> SetPasswordAsync(string username, string? password, CancellationToken cancellationToken = default)
    {
        var errors = ValidatePassword(password).ToList();
        if (errors.Count > 0)
        {
            return (UserChangeOutcome.Invalid, errors);
        }

        var outcome = await UpdateAsync(username, u => u with { PasswordHash = Hasher.HashPassword(u.Username, password!), SecurityStamp = NewStamp() }, cancellationToken).ConfigureAwait(false);
        return (outcome, errors);
    }

    /// <summary>
    /// Sets a user's role; it applies from their next request (the role is read on each). The last admin
    /// cannot be demoted. The check and the write are two steps: two admins demoting each other at the
    /// same instant could both succeed; <c>orbitmesh users create-admin</c> recovers from that.
    /// </summary>
    public async Task<(UserChangeOutcome Outcome, List<string> Errors)> SetRoleAsync(string username, string? role, CancellationToken cancellationToken = default)
    {
        if (!OrbitMeshRoles.IsKnown(role))
        {
            return (UserChangeOutcome.Invalid, [$"The role must be one of: {string.Join(", ", OrbitMeshRoles.All)}."]);
        }

        var user = await GetAsync(username, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return (UserChangeOutcome.NotFound, []);
        }

        if (user.Role == role)
        {
            return (UserChangeOutcome.Unchanged, []);
        }

        if (user.Role == OrbitMeshRoles.Admin && await IsLastAdminAsync(username, cancellationToken).ConfigureAwait(false))
        {
            return (UserChangeOutcome.LastAdmin, []);
        }

        return (await UpdateAsync(username, u => u with { Role = role! }, cancellationToken).ConfigureAwait(false), []);
    }

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

    private static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private async Task<bool> IsLastAdminAsync(string username, CancellationToken cancellationToken) =>
        !(await store.ListAsync(SecurityKinds.User, cancellationToken).ConfigureAwait(false))
            .Select(d => SecurityKinds.Read<UserRecord>(d))
            .Any(u => u.Role == OrbitMeshRoles.Admin && u.Username != username);

    /// <summary>Replaces a user's record at the version read, reading again when another writer got there first.</summary>
    private async Task<UserChangeOutcome> UpdateAsync(string username, Func<UserRecord, UserRecord> change, CancellationToken cancellationToken)
    {
        if (!UsernamePattern().IsMatch(username))
        {
            return UserChangeOutcome.NotFound;
        }

        while (true)
        {
            var document = await store.GetAsync(SecurityKinds.User, username, cancellationToken).ConfigureAwait(false);
            if (document is null)
            {
                return UserChangeOutcome.NotFound;
            }

            var changed = change(SecurityKinds.Read<UserRecord>(document));
            if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.User, username, changed, document.Version + 1), cancellationToken).ConfigureAwait(false))
            {
                return UserChangeOutcome.Changed;
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex UsernamePattern();
}
