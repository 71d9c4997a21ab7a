namespace OrbitMesh.Server.Security;

/// <summary>The types of the security events in the audit trail (<c>GET /api/audit</c>).</summary>
public static class AuditEventTypes
{
    /// <summary>An admin created a bootstrap token.</summary>
    public const string TokenCreated = "token.created";

    /// <summary>A bootstrap token was used to ask to enroll.</summary>
    public const string TokenUsed = "token.used";

    /// <summary>An admin revoked a bootstrap token.</summary>
    public const string TokenRevoked = "token.revoked";

    /// <summary>A node asked to enroll (or was refused: reused, expired, revoked or unknown token).</summary>
    public const string EnrollmentRequested = "enrollment.requested";

    /// <summary>An admin approved a node; its certificate was issued.</summary>
    public const string EnrollmentApproved = "enrollment.approved";

    /// <summary>An admin rejected a node.</summary>
    public const string EnrollmentRejected = "enrollment.rejected";

    /// <summary>An admin revoked a node: its connections are closed and it can no longer connect.</summary>
    public const string NodeRevoked = "node.revoked";

    /// <summary>A node's certificate was renewed.</summary>
    public const string CertificateRenewed = "certificate.renewed";

    /// <summary>A user logged in.</summary>
    public const string Login = "auth.login";

    /// <summary>Authentication failed; the reason says why.</summary>
    public const string AuthenticationFailed = "auth.failed";

    /// <summary>An authenticated caller was refused an action outside its role or grants.</summary>
    public const string AccessDenied = "auth.denied";

    /// <summary>A refresh token was revoked (logout or reuse of a rotated one).</summary>
    public const string RefreshTokenRevoked = "auth.refresh_revoked";

    /// <summary>A user was created, changed or deleted.</summary>
    public const string UserChanged = "user.changed";

    /// <summary>An API key was created or revoked.</summary>
    public const string ApiKeyChanged = "apikey.changed";

    /// <summary>A workflow trigger was created, replaced, enabled, disabled, deleted, or had its secret rotated.</summary>
    public const string TriggerChanged = "trigger.changed";

    /// <summary>A webhook delivery was refused: an unknown hook, or a bad, stale or replayed signature.</summary>
    public const string WebhookRefused = "webhook.refused";

    /// <summary>A WebAssembly module was uploaded (or refused: a different module under the same version).</summary>
    public const string ModuleUploaded = "module.uploaded";
}
