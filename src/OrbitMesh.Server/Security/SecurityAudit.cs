using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Records security events durably in the <see cref="ISecurityStore"/>'s audit trail and logs each one.
/// A failure to store an event is logged and does not fail the action that raised it, except where
/// the caller awaits <see cref="RecordAsync"/> and chooses otherwise.
/// </summary>
internal sealed partial class SecurityAudit(ISecurityStore store, TimeProvider time, ILogger<SecurityAudit> logger)
{
    /// <summary>The claim type carrying an identity's audit actor (<c>user:NAME</c>, <c>apikey:ID</c>, <c>node:ID</c>).</summary>
    public const string ActorClaim = "orbitmesh:actor";

    /// <summary>
    /// Raised after an event is stored (or failed to be), on the caller's path: handlers must be cheap and
    /// must not throw (the dashboard only marks its security pages stale).
    /// </summary>
    public event Action<AuditEntry>? Recorded;

    /// <summary>Records one event. <paramref name="http"/>, when given, supplies the actor (unless set) and the remote address.</summary>
    public async Task RecordAsync(
        string type,
        string? subject,
        HttpContext? http = null,
        bool success = true,
        string? reason = null,
        string? actor = null,
        CancellationToken cancellationToken = default)
    {
        var entry = new AuditEntry
        {
            Type = type,
            Subject = subject,
            Success = success,
            Reason = reason,
            Actor = actor ?? ActorOf(http?.User),
            RemoteAddress = http?.Connection.RemoteIpAddress?.ToString(),
            Timestamp = time.GetUtcNow(),
        };
        if (success)
        {
            Log.Event(logger, entry.Type, entry.Subject ?? "-", entry.Actor ?? "-", entry.RemoteAddress ?? "-", entry.Reason ?? "");
        }
        else
        {
            Log.Refusal(logger, entry.Type, entry.Subject ?? "-", entry.Actor ?? "-", entry.RemoteAddress ?? "-", entry.Reason ?? "");
        }

        try
        {
            await store.AppendAuditAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageUnavailableException or IOException or InvalidOperationException)
        {
            Log.StoreFailed(logger, entry.Type, ex.Message);
        }

        Recorded?.Invoke(entry);
    }

    /// <summary>The audit actor of an authenticated principal, or null.</summary>
    public static string? ActorOf(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true ? user.FindFirst(ActorClaim)?.Value ?? user.Identity.Name : null;

    private static partial class Log
    {
        [LoggerMessage(2300, LogLevel.Information, "Security event {Type} on {Subject} by {Actor} from {RemoteAddress} {Reason}")]
        public static partial void Event(ILogger logger, string type, string subject, string actor, string remoteAddress, string reason);

        [LoggerMessage(2301, LogLevel.Warning, "Security refusal {Type} on {Subject} by {Actor} from {RemoteAddress}: {Reason}")]
        public static partial void Refusal(ILogger logger, string type, string subject, string actor, string remoteAddress, string reason);

        [LoggerMessage(2302, LogLevel.Error, "Could not store the security event {Type} in the audit trail: {Reason}")]
        public static partial void StoreFailed(ILogger logger, string type, string reason);
    }
}
