using System.Security.Cryptography;
using OrbitMesh.Agent;

namespace OrbitMesh.Grid.Tests.Links;

public sealed class GridLinkTokenTests : IDisposable
{
    private readonly ECDsa _serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _publicOnly = ECDsa.Create();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly GridLinkTokenIssuer _issuer;
    private readonly GridLinkTokenValidator _validator;

    public GridLinkTokenTests()
    {
        _publicOnly.ImportSubjectPublicKeyInfo(_serverKey.ExportSubjectPublicKeyInfo(), out _);
        _issuer = new GridLinkTokenIssuer(_serverKey, _time);
        _validator = new GridLinkTokenValidator(_publicOnly, _time);
    }

    public void Dispose()
    {
        _serverKey.Dispose();
        _publicOnly.Dispose();
    }

    private string Issue(long offset = 0, long length = 1000, TimeSpan? lifetime = null) =>
        _issuer.Issue("job-1", "star-a", "star-b", "/backup/x", offset, length, lifetime ?? TimeSpan.FromSeconds(30));

    private void AssertRefused(string? token, string reason, string job = "job-1", string source = "star-a", string target = "star-b", long offset = 0, long length = 1000)
    {
        var ex = Assert.Throws<MeshAccessDeniedException>(() => _validator.Validate(token, job, source, target, offset, length));
        Assert.Equal(MeshErrorCodes.NotAllowed, ex.Code);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GenuineToken_ReturnsItsClaimsWithThePublicKeyAlone()
    {
        var claims = _validator.Validate(Issue(), "job-1", "star-a", "star-b", 0, 1000);

        Assert.Equal(("job-1", "star-a", "star-b", "/backup/x", 0L, 1000L), (claims.JobId, claims.SourceNodeId, claims.TargetNodeId, claims.Path, claims.Offset, claims.Length));
        Assert.Equal(_time.GetUtcNow().AddSeconds(30), claims.ExpiresAt);
    }

    [Fact]
    public void Validate_Replayed_IsRefused()
    {
        var token = Issue();
        _validator.Validate(token, "job-1", "star-a", "star-b", 0, 1000);

        AssertRefused(token, "already used");
    }

    [Fact]
    public void Validate_Expired_IsRefused()
    {
        var token = Issue();
        _time.Advance(TimeSpan.FromSeconds(31));

        AssertRefused(token, "expired");
    }

    [Fact]
    public void Validate_AnotherRangeJobOrStar_IsRefused()
    {
        AssertRefused(Issue(), "another range", offset: 1000);
        AssertRefused(Issue(), "another range", length: 2000);
        AssertRefused(Issue(), "another job", job: "job-2");
        AssertRefused(Issue(), "other stars", source: "star-c");
        AssertRefused(Issue(), "other stars", target: "star-c");
    }

    [Fact]
    public void Validate_WrongTamperedOrMalformed_IsRefused()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new GridLinkTokenIssuer(otherKey, _time).Issue("job-1", "star-a", "star-b", "/backup/x", 0, 1000, TimeSpan.FromSeconds(30));
        var genuine = Issue(length: 10);
        var widened = System.Buffers.Text.Base64Url.EncodeToString(
            System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(genuine.Split('.')[0])).Replace("\"length\":10", "\"length\":1000", StringComparison.Ordinal)))
            + "." + genuine.Split('.')[1];

        AssertRefused(forged, "signature");
        AssertRefused(widened, "signature");
        AssertRefused(null, "malformed");
        AssertRefused("no-dot", "malformed");
        AssertRefused("!!!.???", "malformed");
    }

    [Fact]
    public void Validate_UsedSetFull_RefusesUntilTokensExpire()
    {
        var validator = new GridLinkTokenValidator(_publicOnly, _time, capacity: 2);
        validator.Validate(Issue(length: 1), "job-1", "star-a", "star-b", 0, 1);
        validator.Validate(Issue(length: 2), "job-1", "star-a", "star-b", 0, 2);

        Assert.Throws<MeshAccessDeniedException>(() => validator.Validate(Issue(length: 3), "job-1", "star-a", "star-b", 0, 3));
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(4, validator.Validate(Issue(length: 4), "job-1", "star-a", "star-b", 0, 4).Length);
    }

    [Fact]
    public void Issue_LifetimeOverTheMaximum_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Issue(lifetime: TimeSpan.FromMinutes(6)));
}
