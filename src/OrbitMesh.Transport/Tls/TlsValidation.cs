using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrbitMesh.Transport;

/// <summary>
/// Ways to decide whether the server's TLS certificate is trusted, for
/// <see cref="MeshConnectionOptions.ServerCertificateValidation"/> and for REST calls
/// (<see cref="CreateHandler"/>), so the hub connection and the HTTP calls trust the same thing.
/// </summary>
public static class TlsValidation
{
    /// <summary>
    /// The certificate's SHA-256 fingerprint: the hash of its DER encoding, lowercase hex without separators.
    /// </summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>
    /// Brings a fingerprint to the form <see cref="Fingerprint"/> returns: separators (<c>:</c>, <c>-</c>,
    /// spaces) removed, lowercase. Throws <see cref="FormatException"/> when it is not 64 hex digits.
    /// </summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        Span<char> buffer = stackalloc char[64];
        var length = 0;
        foreach (var c in fingerprint)
        {
            if (c is ':' or '-' or ' ')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || length == buffer.Length)
            {
                throw new FormatException("A SHA-256 certificate fingerprint is 64 hex digits (separators such as ':' allowed).");
            }

            buffer[length++] = char.ToLowerInvariant(c);
        }

        return length == buffer.Length
            ? new string(buffer)
            : throw new FormatException("A SHA-256 certificate fingerprint is 64 hex digits (separators such as ':' allowed).");
    }

    /// <summary>
    /// True when both are the same SHA-256 fingerprint, whatever their case and separators; false when
    /// either is not a fingerprint.
    /// </summary>
    public static bool FingerprintsEqual(string? left, string? right)
    {
        if (left is null || right is null)
        {
            return false;
        }

        try
        {
            return CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.ASCII.GetBytes(NormalizeFingerprint(left)),
                System.Text.Encoding.ASCII.GetBytes(NormalizeFingerprint(right)));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Accepts exactly the certificate with this SHA-256 fingerprint (see <see cref="Fingerprint"/>; colons and
    /// uppercase allowed), whatever its chain, expiry or names: pinning replaces those checks.
    /// </summary>
    public static RemoteCertificateValidationCallback PinnedFingerprint(string fingerprint) =>
        new PinnedFingerprintCheck(NormalizeFingerprint(fingerprint)).Validate;

    /// <summary>
    /// Accepts a certificate whose chain ends at this certificate authority and no other (the operating
    /// system's trust store is not consulted), and whose names match the host connected to.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustedAuthority(X509Certificate2 certificateAuthority)
    {
        ArgumentNullException.ThrowIfNull(certificateAuthority);
        return new TrustedAuthorityCheck(certificateAuthority).Validate;
    }

    /// <summary>
    /// Trust on first use: accepts whatever certificate the server presents and reports its fingerprint to
    /// <paramref name="onFirstSeen"/>, so the caller can store it and pin it (<see cref="PinnedFingerprint"/>)
    /// on later connects. Use it only for the first contact, such as enrollment.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnFirstUse(Action<string> onFirstSeen)
    {
        ArgumentNullException.ThrowIfNull(onFirstSeen);
        return new TrustOnFirstUseCheck(onFirstSeen).Validate;
    }

    /// <summary>
    /// An HTTP handler that validates the server's certificate with <paramref name="serverCertificateValidation"/>
    /// (the operating system's trust store when null) and presents <paramref name="clientCertificate"/>
    /// (with its private key) when the server asks for one.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(RemoteCertificateValidationCallback? serverCertificateValidation, X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        if (serverCertificateValidation is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = serverCertificateValidation;
        }

        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return handler;
    }

    /// <summary>
    /// Why a certificate was refused, in words for the user: the check's own reason for the callbacks made
    /// here, the policy errors otherwise.
    /// </summary>
    internal static string DescribeRejection(RemoteCertificateValidationCallback? callback, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return "The server presented no certificate.";
        }

        var fingerprint = Fingerprint(certificate);
        return callback?.Target switch
        {
            ICertificateCheck check => check.Explain(certificate, chain, errors, fingerprint),
            null => $"The server's certificate ({certificate.Subject}, SHA-256 fingerprint {fingerprint}) is not trusted: {DescribeErrors(chain, errors)}. " +
                "Pin its fingerprint or trust the authority that issued it.",
            _ => $"The server's certificate ({certificate.Subject}, SHA-256 fingerprint {fingerprint}) was refused by the certificate validation callback ({DescribeErrors(chain, errors)}).",
        };
    }

    internal static string DescribeErrors(X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return "no policy errors";
        }

        var parts = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            parts.Add("its names do not match the host");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList() ?? [];
            parts.Add(statuses.Count > 0 ? "its chain is not trusted (" + string.Join(", ", statuses) + ")" : "its chain is not trusted");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            parts.Add("no certificate was presented");
        }

        return string.Join("; ", parts);
    }

    private interface ICertificateCheck
    {
        string Explain(X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors, string fingerprint);
    }

    private sealed class PinnedFingerprintCheck(string pinned) : ICertificateCheck
    {
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
            certificate is not null && FingerprintsEqual(Fingerprint(certificate), pinned);

        public string Explain(X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors, string fingerprint) =>
            $"The server's certificate fingerprint {fingerprint} does not match the pinned {pinned}.";
    }

    private sealed class TrustOnFirstUseCheck(Action<string> onFirstSeen) : ICertificateCheck
    {
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null)
            {
                return false;
            }

            onFirstSeen(Fingerprint(certificate));
            return true;
        }

        public string Explain(X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors, string fingerprint) =>
            "The server presented no certificate.";
    }

    private sealed class TrustedAuthorityCheck(X509Certificate2 authority) : ICertificateCheck
    {
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
            certificate is not null && Check(certificate, errors) is null;

        public string Explain(X509Certificate certificate, X509Chain? chain, SslPolicyErrors errors, string fingerprint) =>
            $"The server's certificate ({certificate.Subject}, SHA-256 fingerprint {fingerprint}) is not trusted: {Check(certificate, errors) ?? "unknown reason"}.";

        /// <summary>Null when trusted, else why not.</summary>
        private string? Check(X509Certificate certificate, SslPolicyErrors errors)
        {
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            {
                return "no certificate was presented";
            }

            // The name check SslStream made does not depend on the trust store; the chain check is redone here.
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            {
                return "its names do not match the host";
            }

            using var loaded = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            using var customChain = new X509Chain();
            customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            customChain.ChainPolicy.CustomTrustStore.Add(authority);
            customChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            customChain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // server authentication
            var target = loaded ?? (X509Certificate2)certificate;
            if (customChain.Build(target))
            {
                return null;
            }

            var statuses = customChain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return $"it was not issued by the trusted authority {authority.Subject} ({string.Join(", ", statuses)})";
        }
    }
}
