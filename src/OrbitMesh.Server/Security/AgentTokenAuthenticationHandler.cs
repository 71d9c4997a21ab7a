using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Authenticates agents by a shared token presented as <c>Authorization: Bearer &lt;token&gt;</c> (or the
/// <c>access_token</c> query parameter). A refused connection gets 401 with the reason in
/// <c>WWW-Authenticate</c> (<c>error_description</c>) and <c>X-OrbitMesh-Error</c>, and a log line.
/// </summary>
internal sealed partial class AgentTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AgentTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    internal const string MissingToken = "No agent token was presented; send 'Authorization: Bearer <token>'";
    internal const string UnknownToken = "The agent token is not known to this server";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (token is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(MissingToken));
        }

        var index = validator.Match(token);
        if (index < 0)
        {
            return Task.FromResult(AuthenticateResult.Fail(UnknownToken));
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, "agent-token-" + index.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.AuthenticationMethod, "shared-token"),
            ],
            Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var reason = result.Failure?.Message ?? "Authentication is required";
        Log.AgentRefused(Logger, Context.Connection.RemoteIpAddress?.ToString() ?? "unknown", Request.Path, reason);

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{reason}\"";
        Response.Headers["X-OrbitMesh-Error"] = reason;
        var problem = new ProblemDetails
        {
            Type = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            Title = "Unauthorized",
            Status = StatusCodes.Status401Unauthorized,
            Detail = reason + ".",
        };
        await Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json", Context.RequestAborted).ConfigureAwait(false);
    }

    internal static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return token.Length == 0 ? null : token;
        }

        var query = request.Query[AgentAuthenticationDefaults.AccessTokenQueryParameter].ToString();
        return query.Length == 0 ? null : query;
    }

    private static partial class Log
    {
        [LoggerMessage(2040, LogLevel.Warning, "Refused an agent connection from {RemoteAddress} to {Path}: {Reason}.")]
        public static partial void AgentRefused(ILogger logger, string remoteAddress, string path, string reason);
    }
}
