using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Security;

namespace OrbitMesh.Agent.Security;

/// <summary>
/// The node's side of enrollment and connection proof over the server's REST API: ask to join with a
/// bootstrap token, wait for an admin's approval, fetch (and renew) the certificate, and produce the
/// signed credential that opens a hub connection. See docs/security.md and docs/protocol.md.
/// </summary>
public sealed class NodeEnrollmentClient
{
    private readonly HttpClient _http;
    private readonly Uri _server;

    /// <summary>Creates a client for the server at <paramref name="server"/> (its base URL).</summary>
    public NodeEnrollmentClient(HttpClient http, Uri server)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(server);
        _http = http;
        var root = server.GetLeftPart(UriPartial.Authority);
        _server = new Uri(root.EndsWith('/') ? root : root + "/");
    }

    /// <summary>
    /// The node's identity in <paramref name="directory"/>, enrolled and approved: loaded when the directory
    /// holds one (waiting for approval if it is still pending), otherwise created with a new key and enrolled
    /// with <paramref name="bootstrapToken"/>, then awaited. <paramref name="waiting"/> is told once when the
    /// node starts waiting for an admin. A refused enrollment leaves the directory as it was.
    /// </summary>
    /// <param name="directory">The node's data directory.</param>
    /// <param name="nodeId">The node's id; null for the stored one, or the machine name for a new node.</param>
    /// <param name="bootstrapToken">Needed only when the directory holds no identity yet.</param>
    /// <param name="name">A human-readable name for a new node.</param>
    /// <param name="capabilities">The capabilities a new node asks for.</param>
    /// <param name="pollInterval">How often to ask whether an admin decided.</param>
    /// <param name="waiting">Called when the node waits for approval.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="MeshAuthenticationException">The enrollment was refused, rejected or revoked.</exception>
    public async Task<NodeIdentity> EnsureEnrolledAsync(
        string directory, string? nodeId, string? bootstrapToken, string? name, IReadOnlyList<string> capabilities,
        TimeSpan pollInterval, Action<NodeIdentity>? waiting = null, CancellationToken cancellationToken = default)
    {
        NodeIdentity identity;
        if (NodeIdentity.Exists(directory))
        {
            identity = NodeIdentity.Load(directory);
            if (nodeId is not null && nodeId != identity.NodeId)
            {
                identity.Dispose();
                throw new OrbitMeshException("invalid_options", $"The node id '{nodeId}' differs from the node enrolled in {directory} ('{identity.NodeId}').");
            }

            if (identity.Certificate is not null)
            {
                return identity;
            }
        }
        else
        {
            if (string.IsNullOrEmpty(bootstrapToken))
            {
                throw new OrbitMeshException("not_enrolled", $"{directory} holds no node identity: a bootstrap token (orbitmesh tokens create) is needed to enroll.");
            }

            identity = NodeIdentity.Create(directory, nodeId ?? Environment.MachineName.ToLowerInvariant());
            try
            {
                await RequestAsync(identity, bootstrapToken, name, capabilities, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                identity.Delete();
                throw;
            }
        }

        try
        {
            waiting?.Invoke(identity);
            await WaitForApprovalAsync(identity, pollInterval, cancellationToken: cancellationToken).ConfigureAwait(false);
            return identity;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>Asks to enroll <paramref name="identity"/> with a bootstrap token; the answer is normally Pending.</summary>
    public Task<EnrollmentStatus> RequestAsync(NodeIdentity identity, string token, string? name, IReadOnlyList<string> capabilities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return PostAsync<EnrollmentStatus>("api/enroll", new EnrollmentRequest
        {
            Token = token,
            NodeId = identity.NodeId,
            Name = name,
            PublicKey = identity.PublicKeyBase64,
            Capabilities = capabilities,
        }, cancellationToken);
    }

    /// <summary>Proves the key and returns the node's status; stores the certificate when the server sends one (approval or renewal).</summary>
    public async Task<EnrollmentStatus> StatusAsync(NodeIdentity identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var challenge = await PostAsync<NodeChallenge>("api/enroll/challenge", new ChallengeRequest(identity.NodeId), cancellationToken).ConfigureAwait(false);
        var signature = NodeProof.Sign(identity.Key, NodeProof.StatusPurpose, identity.NodeId, challenge.Nonce);
        var status = await PostAsync<EnrollmentStatus>("api/enroll/status", new StatusRequest(identity.NodeId, challenge.Nonce, signature), cancellationToken).ConfigureAwait(false);
        if (status.Status == NodeStatus.Approved && status.Certificate is { } certificate && certificate != identity.Certificate?.ExportCertificatePem())
        {
            identity.SaveCertificate(certificate, status.CaCertificate);
        }

        return status;
    }

    /// <summary>Polls <see cref="StatusAsync"/> until the node is approved; throws when it is rejected or revoked.</summary>
    public async Task<EnrollmentStatus> WaitForApprovalAsync(NodeIdentity identity, TimeSpan pollInterval, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var status = await StatusAsync(identity, cancellationToken).ConfigureAwait(false);
            switch (status.Status)
            {
                case NodeStatus.Approved:
                    return status;
                case NodeStatus.Rejected or NodeStatus.Revoked:
                    throw new MeshAuthenticationException($"The enrollment of node '{identity.NodeId}' was {status.Status.ToString().ToLowerInvariant()}{(status.Reason is { } reason ? ": " + reason : ".")}");
            }

            await Task.Delay(pollInterval, time ?? TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The bearer credential for one hub connection: a fresh nonce signed with the node's key. When the
    /// certificate is in the last third of its life, it is renewed first (no admin needed).
    /// </summary>
    public async Task<string> ConnectCredentialAsync(NodeIdentity identity, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.Certificate is { } certificate)
        {
            var now = (time ?? TimeProvider.System).GetUtcNow();
            var lifetime = certificate.NotAfter.ToUniversalTime() - certificate.NotBefore.ToUniversalTime();
            if (certificate.NotAfter.ToUniversalTime() - now.UtcDateTime < lifetime / 3)
            {
                await StatusAsync(identity, cancellationToken).ConfigureAwait(false);
            }
        }

        var challenge = await PostAsync<NodeChallenge>("api/enroll/challenge", new ChallengeRequest(identity.NodeId), cancellationToken).ConfigureAwait(false);
        return NodeProof.Credential(identity.NodeId, challenge.Nonce, NodeProof.Sign(identity.Key, NodeProof.ConnectPurpose, identity.NodeId, challenge.Nonce));
    }

    /// <summary>How often a call turned away with 429 (the server's rate limit) is tried again, after its Retry-After.</summary>
    public const int MaxRateLimitedRetries = 5;

    private async Task<T> PostAsync<T>(string path, object body, CancellationToken cancellationToken)
    {
        var response = await _http.PostAsJsonAsync(new Uri(_server, path), body, OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
        for (var retry = 0; response.StatusCode == HttpStatusCode.TooManyRequests && retry < MaxRateLimitedRetries; retry++)
        {
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait < TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
            response = await _http.PostAsJsonAsync(new Uri(_server, path), body, OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
        }

        using var answered = response;
        if (response.IsSuccessStatusCode)
        {
            return await response.Content.ReadFromJsonAsync<T>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new MeshConnectionException($"The server answered {path} with an empty body.");
        }

        var detail = await ReadDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var message = $"The server refused {path} ({(int)response.StatusCode}): {detail}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.Conflict => new MeshAuthenticationException(message),
            _ => new MeshConnectionException(message),
        };
    }

    private static async Task<string> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                return detail.GetString()!;
            }
        }
        catch (JsonException)
        {
        }

        return text.Length > 300 ? text[..300] : text;
    }
}
