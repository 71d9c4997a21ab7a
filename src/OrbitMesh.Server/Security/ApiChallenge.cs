using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The REST API's refusal, the same for every scheme behind <see cref="ApiAuthenticationDefaults.Scheme"/>:
/// 401 <c>application/problem+json</c> with the reason as <c>detail</c>, <c>WWW-Authenticate: Bearer
/// realm="orbitmesh"</c> (with <c>error="invalid_token"</c> when credentials were presented), a log
/// line and an audit entry (<see cref="AuditEventTypes.AuthenticationFailed"/>).
/// </summary>
internal sealed partial class ApiChallenge(IOptions<OrbitMeshServerOptions> options, SecurityAudit audit, ILogger<ApiChallenge> logger)
{
    private readonly SecurityOptions _security = options.Value.Security;

    /// <summary>Answers 401. <paramref name="failure"/> is why the credentials were refused; without it, why anonymous access is.</summary>
    public async Task WriteAsync(HttpContext context, string? failure, bool credentialsPresented)
    {
        var reason = failure ?? AnonymousApiAccess.Decide(_security, context.Connection.RemoteIpAddress) ?? AnonymousApiAccess.Refused;
        Log.ApiRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.Request.Path, reason);
        await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, context.Request.Path, context, success: false, reason: reason, actor: "anonymous", context.RequestAborted).ConfigureAwait(false);

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = credentialsPresented
            ? $"Bearer realm=\"orbitmesh\", error=\"invalid_token\", error_description=\"{reason.Replace('"', '\'')}\""
            : "Bearer realm=\"orbitmesh\"";
        await WriteProblemAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", reason + ".").ConfigureAwait(false);
    }

    /// <summary>Writes a 401 or 403 <c>application/problem+json</c> body.</summary>
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

    private static partial class Log
    {
        [LoggerMessage(2351, LogLevel.Warning, "Refused an API request from {RemoteAddress} to {Path}: {Reason}")]
        public static partial void ApiRefused(ILogger logger, string remoteAddress, string path, string reason);
    }
}
