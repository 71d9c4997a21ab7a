using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Security;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Authenticates agents: an enrolled node by proof of its key (<c>Authorization: Bearer node.{id}.{nonce}.{signature}</c>,
/// see <see cref="NodeProof"/>), or, where the server enables them for development, by a shared token
/// presented as <c>Authorization: Bearer &lt;token&gt;</c> (or the <c>access_token</c> query parameter).
/// A refused connection gets 401 with the reason in <c>WWW-Authenticate</c> (<c>error_description</c>)
/// and <c>X-OrbitMesh-Error</c>, a log line and an audit entry.
/// </summary>
internal sealed partial class AgentTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AgentTokenValidator validator,
    NodeService nodes,
    SecurityAudit audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    internal const string MissingToken = "No agent credential was presented; send 'Authorization: Bearer <credential>' (an enrolled node's proof, see docs/security.md)";
    internal const string UnknownToken = "The agent token is not known to this server";
    internal const string SharedTokensDisabled = "This server accepts no shared agent tokens; enroll the node (orbitmesh agent --enroll-token T --data DIR)";

    /// <summary>The claim holding an enrolled node's id.</summary>
    public const string NodeClaim = "orbitmesh:node";

    /// <summary>The claims holding an enrolled node's granted capabilities.</summary>
    public const string GrantClaim = "orbitmesh:grant";

    /// <summary>The claim holding when the node's certificate expires (Unix milliseconds): its connection closes then.</summary>
    public const string ExpiresClaim = "orbitmesh:expires";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (token is null)
        {
            return AuthenticateResult.Fail(MissingToken);
        }

        if (NodeProof.TryParseCredential(token, out var nodeId, out var nonce, out var signature))
        {
            // Negotiation is followed by the connection itself with the same credential: only the
            // request that opens the connection uses the nonce up.
            var negotiate = Request.Path.Value?.EndsWith("/negotiate", StringComparison.Ordinal) == true;
            var (node, refusal) = await nodes.AuthenticateAsync(nodeId, nonce, signature, Context.Connection.ClientCertificate, consume: !negotiate, Context.RequestAborted).ConfigureAwait(false);
            if (node is null)
            {
                await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, nodeId, Context, success: false, reason: refusal, actor: "node:" + nodeId).ConfigureAwait(false);
                return AuthenticateResult.Fail("The node's proof was refused: " + refusal);
            }

            Log.NodeAuthenticated(Logger, nodeId, Context.Connection.ClientCertificate is not null, negotiate);
            List<Claim> claims =
            [
                new(ClaimTypes.NameIdentifier, nodeId),
                new(ClaimTypes.AuthenticationMethod, "node-key"),
                new(NodeClaim, nodeId),
                new(SecurityAudit.ActorClaim, "node:" + nodeId),
                new(ExpiresClaim, node.CertificateNotAfter.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
            ];
            claims.AddRange(node.GrantedCapabilities.Select(g => new Claim(GrantClaim, g)));
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name)), Scheme.Name));
        }

        if (!validator.Enabled)
        {
            return AuthenticateResult.Fail(SharedTokensDisabled);
        }

        var index = validator.Match(token);
        if (index < 0)
        {
            await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, null, Context, success: false, reason: "unknown shared agent token").ConfigureAwait(false);
            return AuthenticateResult.Fail(UnknownToken);
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, "agent-token-" + index.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.AuthenticationMethod, "shared-token"),
            ],
            Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
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

        [LoggerMessage(2042, LogLevel.Debug, "Node {NodeId} proved its key (TLS client certificate checked: {MutualTls}; negotiate: {Negotiate}).")]
        public static partial void NodeAuthenticated(ILogger logger, string nodeId, bool mutualTls, bool negotiate);
    }
}
