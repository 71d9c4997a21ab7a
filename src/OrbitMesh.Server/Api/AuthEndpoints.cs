using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Api;

/// <summary>The body of <c>POST /api/auth/login</c>.</summary>
internal sealed record LoginRequest(string? Username, string? Password);

/// <summary>The body of <c>POST /api/auth/refresh</c> and <c>/logout</c>.</summary>
internal sealed record RefreshRequest(string? RefreshToken);

/// <summary>The body of <c>POST /api/auth/password</c>.</summary>
internal sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>What login and refresh return.</summary>
internal sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string RefreshToken, DateTimeOffset RefreshExpiresAt, string Role);

/// <summary>
/// <c>/api/auth</c>: login, refresh (rotating, with reuse detection) and logout, anonymous; and a
/// signed-in user's own password change. All rate limited per address.
/// </summary>
internal static class AuthEndpoints
{
    private const string WrongCredentials = "The username or password is wrong.";

    public static RouteGroupBuilder MapAuthEndpoints(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").AllowAnonymous().RequireRateLimiting(OrbitMeshPolicies.LoginRateLimit);

        auth.MapPost("/login", async (LoginRequest body, HttpContext context, UserAccounts users, AccessTokens access, RefreshTokens refresh, LoginThrottle throttle, SecurityAudit audit) =>
        {
            var ct = context.RequestAborted;
            if (string.IsNullOrEmpty(body.Username) || string.IsNullOrEmpty(body.Password))
            {
                return ApiResults.BadRequest("The body must be {\"username\": ..., \"password\": ...}.");
            }

            var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (throttle.RetryAfter(body.Username, address) is { } wait)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, body.Username, context, success: false, reason: "too many failed logins for this account from this address", actor: "anonymous", ct).ConfigureAwait(false);
                return ApiResults.TooManyRequests($"Too many failed logins for '{body.Username}' from this address; retry after {seconds} s.", TimeSpan.FromSeconds(seconds), context, "rate_limited");
            }

            var (user, failure) = await users.VerifyAsync(body.Username, body.Password, ct).ConfigureAwait(false);
            if (user is null)
            {
                throttle.RecordFailure(body.Username, address);
                await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, body.Username, context, success: false, reason: failure, actor: "anonymous", ct).ConfigureAwait(false);
                return Unauthorized(context, WrongCredentials);
            }

            throttle.RecordSuccess(body.Username, address);

            await audit.RecordAsync(AuditEventTypes.Login, user.Username, context, actor: "user:" + user.Username, cancellationToken: ct).ConfigureAwait(false);
            return ApiResults.Json(await IssueAsync(user, access, refresh, ct).ConfigureAwait(false));
        }).WithName("Login");

        auth.MapPost("/refresh", async (RefreshRequest body, HttpContext context, UserAccounts users, AccessTokens access, RefreshTokens refresh, SecurityAudit audit) =>
        {
            var ct = context.RequestAborted;
            if (string.IsNullOrEmpty(body.RefreshToken))
            {
                return ApiResults.BadRequest("The body must be {\"refreshToken\": ...}.");
            }

            var (outcome, username, token, expiresAt) = await refresh.RotateAsync(body.RefreshToken, ct).ConfigureAwait(false);
            var user = username is null ? null : await users.GetAsync(username, ct).ConfigureAwait(false);
            if (outcome == RefreshOutcome.Reused)
            {
                await audit.RecordAsync(AuditEventTypes.RefreshTokenRevoked, username, context, success: false, reason: "an already rotated refresh token was presented again; its whole family is revoked", actor: "anonymous", ct).ConfigureAwait(false);
                return Unauthorized(context, "The refresh token was already used; every token of its login is now revoked. Log in again.");
            }

            if (outcome == RefreshOutcome.Rotated && user is null)
            {
                // The user was deleted meanwhile: the token just issued must not outlive it.
                await refresh.RevokeAsync(token!, ct).ConfigureAwait(false);
            }

            if (outcome != RefreshOutcome.Rotated || user is null)
            {
                var reason = outcome == RefreshOutcome.Expired ? "the refresh token has expired" : user is null && outcome == RefreshOutcome.Rotated ? "the refresh token's user no longer exists" : "the refresh token is not valid";
                await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, username, context, success: false, reason: reason, actor: "anonymous", ct).ConfigureAwait(false);
                return Unauthorized(context, char.ToUpperInvariant(reason[0]) + reason[1..] + ".");
            }

            var (accessToken, accessExpires) = await access.CreateAsync(user, ct).ConfigureAwait(false);
            return ApiResults.Json(new TokenResponse(accessToken, accessExpires, token!, expiresAt, user.Role));
        }).WithName("RefreshToken");

        auth.MapPost("/logout", async (RefreshRequest body, HttpContext context, RefreshTokens refresh, SecurityAudit audit) =>
        {
            if (string.IsNullOrEmpty(body.RefreshToken))
            {
                return ApiResults.BadRequest("The body must be {\"refreshToken\": ...}.");
            }

            if (await refresh.RevokeAsync(body.RefreshToken, context.RequestAborted).ConfigureAwait(false) is { } username)
            {
                await audit.RecordAsync(AuditEventTypes.RefreshTokenRevoked, username, context, reason: "logout", actor: "user:" + username, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            }

            // The same answer whether or not it was valid: logout cannot be used to probe tokens.
            return Results.NoContent();
        }).WithName("Logout");

        // Outside the anonymous group: anonymous metadata would win over the authorization asked for here.
        api.MapPost("/auth/password", ChangePasswordAsync)
            .RequireAuthorization(OrbitMeshPolicies.Viewer)
            .RequireRateLimiting(OrbitMeshPolicies.LoginRateLimit)
            .WithName("ChangeOwnPassword");

        return api;
    }

    /// <summary>
    /// A user changes their own password: the current one is checked (throttled as a login is), every
    /// session of theirs ends (new security stamp, refresh tokens revoked), and a fresh login is returned.
    /// </summary>
    private static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest body, HttpContext context, UserAccounts users, AccessTokens access, RefreshTokens refresh, LoginThrottle throttle, SecurityAudit audit)
    {
        var ct = context.RequestAborted;
        if (context.User.FindFirst(System.Security.Claims.ClaimTypes.AuthenticationMethod)?.Value != "jwt" || context.User.Identity?.Name is not { } username)
        {
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "Changing one's own password needs a user's access token (Authorization: Bearer), not an API key; an admin sets others' passwords with PUT /api/users/{name}/password.");
        }

        if (string.IsNullOrEmpty(body.CurrentPassword) || body.NewPassword is null)
        {
            return ApiResults.BadRequest("The body must be {\"currentPassword\": ..., \"newPassword\": ...}.");
        }

        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(username, address) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            return ApiResults.TooManyRequests($"Too many wrong passwords for '{username}' from this address; retry after {seconds} s.", TimeSpan.FromSeconds(seconds), context, "rate_limited");
        }

        var (verified, failure) = await users.VerifyAsync(username, body.CurrentPassword, ct).ConfigureAwait(false);
        if (verified is null)
        {
            throttle.RecordFailure(username, address);
            await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, username, context, success: false, reason: "password change: " + failure, cancellationToken: ct).ConfigureAwait(false);
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "The current password is wrong.");
        }

        throttle.RecordSuccess(username, address);
        var (outcome, errors) = await users.SetPasswordAsync(username, body.NewPassword, ct).ConfigureAwait(false);
        if (outcome == UserChangeOutcome.Invalid)
        {
            return ApiResults.Unprocessable(errors);
        }

        if (outcome == UserChangeOutcome.NotFound || await users.GetAsync(username, ct).ConfigureAwait(false) is not { } user)
        {
            return ApiResults.NotFound($"No user named '{username}'.");
        }

        var revoked = await refresh.RevokeUserAsync(username, ct).ConfigureAwait(false);
        await audit.RecordAsync(AuditEventTypes.UserChanged, username, context, reason: $"password changed by the user; {revoked} refresh token(s) revoked", cancellationToken: ct).ConfigureAwait(false);
        return ApiResults.Json(await IssueAsync(user, access, refresh, ct).ConfigureAwait(false));
    }

    private static async Task<TokenResponse> IssueAsync(UserRecord user, AccessTokens access, RefreshTokens refresh, CancellationToken ct)
    {
        var (accessToken, accessExpires) = await access.CreateAsync(user, ct).ConfigureAwait(false);
        var (refreshToken, refreshExpires) = await refresh.IssueAsync(user.Username, ct).ConfigureAwait(false);
        return new TokenResponse(accessToken, accessExpires, refreshToken, refreshExpires, user.Role);
    }

    private static IResult Unauthorized(HttpContext context, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"orbitmesh\"";
        return ApiResults.Problem(StatusCodes.Status401Unauthorized, "unauthorized", detail);
    }
}
