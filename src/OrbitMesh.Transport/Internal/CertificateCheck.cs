using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace OrbitMesh.Transport.Internal;

/// <summary>
/// Runs a server certificate check (the operating system's trust when none is given) and remembers why it
/// refused, so the failure can say so.
/// </summary>
internal sealed class CertificateCheck(RemoteCertificateValidationCallback? callback)
{
    private volatile string? _rejection;

    /// <summary>Why the last refused certificate was refused; null when none was.</summary>
    public string? Rejection => _rejection;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var accepted = callback is null ? errors == SslPolicyErrors.None : callback(sender, certificate, chain, errors);
        if (!accepted)
        {
            _rejection = TlsValidation.DescribeRejection(callback, certificate, chain, errors);
        }

        return accepted;
    }

    /// <summary>A validation callback for an HTTP handler; <see cref="LastRejection"/> reads what it refused.</summary>
    public static RemoteCertificateValidationCallback Recording(RemoteCertificateValidationCallback? callback) => new CertificateCheck(callback).Validate;

    /// <summary>Why the handler's certificate check last refused, if it is one made by <see cref="Recording"/>.</summary>
    public static string? LastRejection(SocketsHttpHandler handler) =>
        handler.SslOptions.RemoteCertificateValidationCallback?.Target is CertificateCheck check ? check.Rejection : null;

    public static MeshConnectionException Rejected(Uri uri, string rejection, Exception inner) =>
        new("tls_rejected", $"Refused the TLS connection to {uri}: {rejection}", inner, isRetryable: false);
}
