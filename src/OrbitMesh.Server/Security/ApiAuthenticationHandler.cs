using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The REST API's one scheme: a user's JWT in <c>Authorization: Bearer</c>, or an API key in
/// <c>X-Api-Key</c> (a stored <c>omk_</c> key, or the static <see cref="OrbitMeshServerOptions.ApiKey"/>
/// as admin). Without credentials the safe default applies (<see cref="AnonymousApiAccess"/>);
/// credentials that are presented but invalid are always refused. A refusal is 401
/// <c>application/problem+json</c> with <c>WWW-Authenticate</c>, and is audited.
/// </summary>
internal sealed partial class ApiAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<OrbitMeshServerOptions> meshOptions,
    AccessTokens accessTokens,
    ApiKeys apiKeys,
    UserAccounts users,
    SecurityAudit audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    internal const string UnknownKey = "The X-Api-Key header does not hold a valid key";

    private readonly byte[]? _staticKey = meshOptions.Value.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;
    private readonly SecurityOptions _security = meshOptions.Value.Security;
    private bool _credentialsPresented;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var apiKey = Request.Headers[ApiAuthenticationDefaults.ApiKeyHeader].ToString();
        if (header.Length > 0)
        {
            _credentialsPresented = true;
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= "Bearer ".Length)
            {
                return AuthenticateResult.Fail("The Authorization header must be 'Bearer <access token>'");
            }

            var token = await accessTokens.CheckAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted).ConfigureAwait(false);
            if (token.Subject is not { } subject)
            {
                return AuthenticateResult.Fail(Capitalize(token.Failure!));
            }

            // Checked on every request, so a deleted user's tokens stop working at once, a role change
            // applies to the next request and a password change ends every session (the stamp moved on).
            var user = await users.GetAsync(subject, Context.RequestAborted).ConfigureAwait(false);
            if (user is null)
            {
                return AuthenticateResult.Fail($"The access token's user '{subject}' no longer exists");
            }

            return user.SecurityStamp == token.Stamp
                ? Success("user:" + user.Username, user.Username, user.Role, "jwt", token.ExpiresAt)
                : AuthenticateResult.Fail($"The access token was issued before '{subject}''s password changed; log in again");
        }

        if (apiKey.Length > 0)
        {
            _credentialsPresented = true;
            if (_staticKey is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)), _staticKey))
            {
                return Success("apikey:static", "apikey:static", OrbitMeshRoles.Admin, "apikey");
            }

            var record = await apiKeys.ValidateAsync(apiKey, Context.RequestAborted).ConfigureAwait(false);
            if (record is null)
            {
                return AuthenticateResult.Fail(UnknownKey);
            }

            if (apiKeys.HasExpired(record))
            {
                return AuthenticateResult.Fail($"The API key '{record.Id}' expired at {record.ExpiresAt!.Value.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}");
            }

            // Deleting a user revokes their keys; this also covers a key whose creator was deleted before that rule.
            if (ApiKeys.CreatingUser(record) is { } creator && await users.GetAsync(creator, Context.RequestAborted).ConfigureAwait(false) is null)
            {
                return AuthenticateResult.Fail($"The API key's creator '{creator}' no longer exists");
            }

            return Success("apikey:" + record.Id, record.Name, record.Role, "apikey");
        }

        // No credentials and no anonymous access: "no result", not a failure. Anonymous-by-design routes
        // (enrollment, login) see it on every call, and ASP.NET Core logs a failure at Information,
        // twice per request; the refusal's reason is worked out again in the challenge.
        var refusal = AnonymousApiAccess.Decide(_security, Context.Connection.RemoteIpAddress);
        return refusal switch
        {
            null => Success("anonymous", "anonymous", OrbitMeshRoles.Admin, "anonymous"),
            AnonymousApiAccess.Refused => AuthenticateResult.NoResult(),
            _ => AuthenticateResult.Fail(refusal),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var reason = result.Failure?.Message ?? AnonymousApiAccess.Decide(_security, Context.Connection.RemoteIpAddress) ?? AnonymousApiAccess.Refused;
        Log.ApiRefused(Logger, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown", Request.Path, reason);
        await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, Request.Path, Context, success: false, reason: reason, actor: "anonymous", Context.RequestAborted).ConfigureAwait(false);

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = _credentialsPresented
            ? $"Bearer realm=\"orbitmesh\", error=\"invalid_token\", error_description=\"{reason.Replace('"', '\'')}\""
            : "Bearer realm=\"orbitmesh\"";
        await WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", reason + ".").ConfigureAwait(false);
    }

    internal static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        var problem = new ProblemDetails
        {
            Type = status == StatusCodes.Status401Unauthorized ? "https://tools.ietf.org/html/rfc9110#section-15.5.2" : "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            Title = title,
            Status = status,
            Detail = detail,
        };
        return context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", context.RequestAborted);
    }

    private AuthenticateResult Success(string actor, string name, string role, string method, DateTimeOffset? expiresAt = null)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.Name, name),
            new(ApiAuthenticationDefaults.RoleClaim, role),
            new(SecurityAudit.ActorClaim, actor),
            new(ClaimTypes.AuthenticationMethod, method),
        ];
        if (expiresAt is { } expires)
        {
            claims.Add(new(ApiAuthenticationDefaults.ExpiresClaim, expires.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var identity = new ClaimsIdentity(claims, Scheme.Name, ClaimTypes.Name, ApiAuthenticationDefaults.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    private static partial class Log
    {
        [LoggerMessage(2351, LogLevel.Warning, "Refused an API request from {RemoteAddress} to {Path}: {Reason}")]
        public static partial void ApiRefused(ILogger logger, string remoteAddress, string path, string reason);
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
