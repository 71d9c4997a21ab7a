using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Grid.Links;

namespace OrbitMesh.Grid;

/// <summary>
/// Copies a file from one star to another over a direct link, on the server: it tells the receiving star to
/// expect the push (with the server's public key), issues a one-time link token for the range the receiver
/// asks for, and tells the source star to push it to the receiver's data address. No data byte passes
/// through the server: only the commands and the result do. When the link breaks, the copy resumes from
/// what the receiver holds, with a new token. Both stars need a data endpoint (<see cref="CanLink"/>).
/// </summary>
public sealed partial class GridLinkCopier
{
    private readonly IMeshClient _mesh;
    private readonly GridLinkTokenIssuer _issuer;
    private readonly string _publicKey;
    private readonly GridLinkCopierOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a copier that signs link tokens with <paramref name="signingKey"/> (an ECDSA P-256 key with its private part).</summary>
    public GridLinkCopier(IMeshClient mesh, ECDsa signingKey, GridLinkCopierOptions? options = null, ILogger<GridLinkCopier>? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(signingKey);
        _options = options ?? new GridLinkCopierOptions();
        if (_options.TokenLifetime <= TimeSpan.Zero || _options.TokenLifetime > GridLinkTokenIssuer.MaxLifetime || _options.MaxAttempts < 1)
        {
            throw new ArgumentException("TokenLifetime must be above 0 and at most 5 minutes, MaxAttempts at least 1.", nameof(options));
        }

        _mesh = mesh;
        _issuer = new GridLinkTokenIssuer(signingKey, time);
        _publicKey = Convert.ToBase64String(signingKey.ExportSubjectPublicKeyInfo());
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Whether <paramref name="agent"/> advertises a data endpoint, so it can take part in a direct link.</summary>
    public static bool CanLink(AgentInfo? agent) => agent?.Metadata.ContainsKey(GridLinkProtocol.MetadataKey) == true;

    /// <summary>
    /// Copies the file <paramref name="sourcePath"/> on <paramref name="sourceAgentId"/> to <paramref name="targetPath"/> on
    /// <paramref name="targetAgentId"/>. Throws <see cref="MeshInvocationException"/> with the star's code when a star
    /// refuses (<c>not_allowed</c> for a path outside its roots or a bad token, <c>digest_mismatch</c>), or the link
    /// stays broken after <see cref="GridLinkCopierOptions.MaxAttempts"/> pushes (<c>link_failed</c>).
    /// </summary>
    public async Task<GridLinkCopyResult> CopyFileAsync(string sourceAgentId, string sourcePath, string targetAgentId, string targetPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceAgentId);
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ArgumentException.ThrowIfNullOrEmpty(targetAgentId);
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        var stopwatch = Stopwatch.StartNew();
        var entry = await _mesh.InvokeAsync<GridEntry>(sourceAgentId, GridCommands.Stat, new { path = sourcePath }, _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        if (entry is not { Kind: GridEntryKind.File })
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.InvalidParameters, entry is null ? $"There is no file at '{sourcePath}'." : $"'{sourcePath}' is a {entry.Kind}, not a file."), agentId: sourceAgentId);
        }

        var jobId = "link-" + Guid.NewGuid().ToString("N");
        var resumed = new List<long>();
        for (var attempt = 1; ; attempt++)
        {
            var expect = new LinkExpectRequest(jobId, sourceAgentId, targetAgentId, targetPath, entry.Size, Resume: attempt > 1, _publicKey);
            var reply = await _mesh.InvokeAsync<LinkExpectReply>(targetAgentId, GridCommands.LinkExpect, expect, _options.CallTimeout, cancellationToken).ConfigureAwait(false)
                ?? throw new MeshInvocationException($"The star '{targetAgentId}' did not say where to push.");
            if (attempt > 1)
            {
                resumed.Add(reply.Offset);
            }

            var length = entry.Size - reply.Offset;
            var token = _issuer.Issue(jobId, sourceAgentId, targetAgentId, targetPath, reply.Offset, length, _options.TokenLifetime);
            var push = new LinkPushRequest(jobId, sourcePath, reply.Address, token, reply.Offset, length);
            try
            {
                var pushed = await _mesh.InvokeAsync<LinkPushReply>(sourceAgentId, GridCommands.LinkPush, push, _options.PushTimeout, cancellationToken).ConfigureAwait(false)
                    ?? throw new MeshInvocationException($"The star '{sourceAgentId}' did not report its push.");
                LogCopied(_logger, jobId, sourceAgentId, targetAgentId, pushed.Length, attempt);
                return new GridLinkCopyResult(jobId, pushed.Length, pushed.Blake3, attempt, resumed, stopwatch.Elapsed);
            }
            catch (MeshInvocationException ex) when (ex.Code == GridLinkProtocol.LinkFailedCode && attempt < _options.MaxAttempts)
            {
                LogResuming(_logger, jobId, attempt, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 8021, Level = LogLevel.Information, Message = "Direct link {JobId}: {SourceAgentId} -> {TargetAgentId}, {Bytes} bytes verified in {Attempts} push(es)")]
    private static partial void LogCopied(ILogger logger, string jobId, string sourceAgentId, string targetAgentId, long bytes, int attempts);

    [LoggerMessage(EventId = 8022, Level = LogLevel.Warning, Message = "Direct link {JobId}: push {Attempt} broke ({Reason}); resuming")]
    private static partial void LogResuming(ILogger logger, string jobId, int attempt, string reason);
}
