namespace OrbitMesh.Client;

/// <summary>Settings for <see cref="MeshHttpClient"/>.</summary>
public sealed class MeshClientOptions
{
    /// <summary>The server's base URL, e.g. <c>http://127.0.0.1:5080</c>. Required.</summary>
    public Uri? Server { get; set; }

    /// <summary>The API key sent as <c>X-Api-Key</c>, when the server requires one.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A user's access token (<c>POST /api/auth/login</c>) sent as <c>Authorization: Bearer</c>, when no <see cref="ApiKey"/> is set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// Called before each request for the access token to send as <c>Authorization: Bearer</c>, when
    /// neither <see cref="ApiKey"/> nor <see cref="AccessToken"/> is set: the place to refresh a token
    /// that is about to expire (as SignalR's <c>AccessTokenProvider</c>). Null from it sends none.
    /// </summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// How the server's https certificate is checked (for example a pinned fingerprint for a self-signed
    /// server); null for the operating system's trust store. Used when the client creates its own HttpClient.
    /// </summary>
    public System.Net.Security.RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>How long one HTTP request may take (not server-sent event streams). Default 100 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The most input items <see cref="MeshHttpClient"/> buffers for a remote input stream (they travel in the request body). Default 100,000.</summary>
    public int MaxInputItems { get; set; } = 100_000;
}
