using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using OrbitMesh.Grid.Links;

namespace OrbitMesh.Grid.Tests.Links;

[Collection(nameof(LinkStarsCollection))]
public sealed class DirectLinkTests(LinkStarsFixture stars) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler());

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task CopyFileAsync_LargeFile_ArrivesVerifiedWhileTheServerReceivesAlmostNothing()
    {
        const int size = 160 * 1024 * 1024;
        var source = Path.Combine(stars.RootA, "large.bin");
        WriteGenerated(source, size, seed: 31);
        var expected = await HashFileAsync(source);
        var before = stars.ServerProxy.BytesToTarget;

        var result = await stars.Copier.CopyFileAsync("link-a", "large.bin", "link-b", "copies/large.bin");

        var received = stars.ServerProxy.BytesToTarget - before;
        Assert.Equal(size, result.Bytes);
        Assert.Equal(expected, result.Blake3);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(expected, await HashFileAsync(Path.Combine(stars.RootB, "copies/large.bin")));
        // Only commands and replies reach the server: a few kilobytes against 160 MiB.
        Assert.True(received < size / 1000, $"The server received {received} bytes for a {size}-byte copy.");
        File.Delete(source);
        File.Delete(Path.Combine(stars.RootB, "copies/large.bin"));
    }

    [Fact]
    public async Task CopyFileAsync_LinkDropsMidway_ResumesFromWhatTheReceiverHolds()
    {
        const int size = 48 * 1024 * 1024;
        var source = Path.Combine(stars.RootA, "resume.bin");
        WriteGenerated(source, size, seed: 32);
        var expected = await HashFileAsync(source);
        // The receiver buffers at most its HTTP/2 stream window (4 MiB) beyond what it wrote, so some of the 24 MiB is on disk.
        stars.DataProxyB.CutOnceAfter(24 * 1024 * 1024);

        var result = await stars.Copier.CopyFileAsync("link-a", "resume.bin", "link-b", "resume.bin");

        Assert.Equal(2, result.Attempts);
        var resumedFrom = Assert.Single(result.ResumedFrom);
        Assert.InRange(resumedFrom, 1, 24 * 1024 * 1024);
        Assert.Equal(expected, result.Blake3);
        Assert.Equal(expected, await HashFileAsync(Path.Combine(stars.RootB, "resume.bin")));
    }

    [Fact]
    public async Task CopiesRoute_OverTheRestApi_CopiesDirectlyAndReportsRefusalsWithTheStarsCode()
    {
        var data = TempTree.Bytes(3 * 1024 * 1024 + 17, seed: 39);
        await File.WriteAllBytesAsync(Path.Combine(stars.RootA, "rest.bin"), data);
        using var client = new Client.MeshHttpClient(stars.Server.Url);

        var result = await client.PostAsync<GridLinkCopyResult>("/api/grid/copies", new GridLinkCopyRequest("link-a", "rest.bin", "link-b", "rest/copy.bin"));
        var refused = await Assert.ThrowsAsync<MeshInvocationException>(() =>
            client.PostAsync<GridLinkCopyResult>("/api/grid/copies", new GridLinkCopyRequest("link-a", "rest.bin", "link-b", Path.Combine(stars.Outside, "copy.bin"))));

        Assert.Equal(data.Length, result!.Bytes);
        Assert.Equal(Blake3.Hasher.Hash(data).ToString(), result.Blake3);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(stars.RootB, "rest/copy.bin")));
        Assert.Equal(MeshErrorCodes.NotAllowed, refused.Code);
    }

    [Fact]
    public async Task Push_TokenReused_IsRefused()
    {
        var data = TempTree.Bytes(100_000, seed: 33);
        var jobId = await ExpectAsync("reused.bin", data.Length);
        var token = Issue(jobId, "reused.bin", 0, data.Length);
        using (var first = await PushAsync(jobId, token, 0, data, Digest(data)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await ExpectAsync("reused.bin", data.Length, jobId);
        using var second = await PushAsync(jobId, token, 0, data, Digest(data));

        await AssertRefusedAsync(second, HttpStatusCode.Forbidden, "not_allowed", "already used");
    }

    [Fact]
    public async Task Push_TokenExpired_IsRefused()
    {
        var data = TempTree.Bytes(1000, seed: 34);
        var jobId = await ExpectAsync("expired.bin", data.Length);
        var past = new ManualTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10));
        var token = new GridLinkTokenIssuer(stars.ServerKey, past).Issue(jobId, "link-a", "link-b", "expired.bin", 0, data.Length, TimeSpan.FromMinutes(1));

        using var response = await PushAsync(jobId, token, 0, data, Digest(data));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "not_allowed", "expired");
        Assert.False(File.Exists(Path.Combine(stars.RootB, "expired.bin")));
    }

    [Fact]
    public async Task Push_TokenForAnotherRange_IsRefused()
    {
        var data = TempTree.Bytes(1000, seed: 35);
        var jobId = await ExpectAsync("range.bin", data.Length);
        var token = Issue(jobId, "range.bin", 0, data.Length - 1);

        using var response = await PushAsync(jobId, token, 0, data, Digest(data));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "not_allowed", "another range");
    }

    [Fact]
    public async Task Push_TokenSignedByAnotherKey_IsRefused()
    {
        var data = TempTree.Bytes(1000, seed: 36);
        var jobId = await ExpectAsync("forged.bin", data.Length);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = new GridLinkTokenIssuer(other).Issue(jobId, "link-a", "link-b", "forged.bin", 0, data.Length, TimeSpan.FromMinutes(1));

        using var response = await PushAsync(jobId, token, 0, data, Digest(data));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "not_allowed", "signature");
    }

    [Fact]
    public async Task Push_NotExpected_IsRefused()
    {
        var data = TempTree.Bytes(1000, seed: 37);
        var token = Issue("link-never-announced", "x.bin", 0, data.Length);

        using var response = await PushAsync("link-never-announced", token, 0, data, Digest(data));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "not_allowed", "No direct link is expected");
    }

    [Fact]
    public async Task Push_DigestMismatch_IsRefusedAndNothingIsKept()
    {
        var data = TempTree.Bytes(200_000, seed: 38);
        var jobId = await ExpectAsync("mismatch.bin", data.Length);
        var token = Issue(jobId, "mismatch.bin", 0, data.Length);
        var wrong = Digest(data);
        wrong[0] ^= 1;

        using var response = await PushAsync(jobId, token, 0, data, wrong);

        await AssertRefusedAsync(response, HttpStatusCode.Conflict, "digest_mismatch", "BLAKE3");
        Assert.Equal(0, new FileInfo(Path.Combine(stars.RootB, "mismatch.bin")).Length);
    }

    [Fact]
    public async Task Expect_PathOutsideTheReceiversRoots_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<MeshInvocationException>(() => ExpectAsync(Path.Combine(stars.Outside, "escape.bin"), 10));

        Assert.Equal(MeshErrorCodes.NotAllowed, ex.Code);
        Assert.False(File.Exists(Path.Combine(stars.Outside, "escape.bin")));
    }

    [Fact]
    public async Task CopyFileAsync_SourceOutsideTheSendersRoots_IsRefused()
    {
        await File.WriteAllTextAsync(Path.Combine(stars.Outside, "secret.txt"), "secret");

        var ex = await Assert.ThrowsAsync<MeshInvocationException>(() => stars.Copier.CopyFileAsync("link-a", Path.Combine(stars.Outside, "secret.txt"), "link-b", "stolen.txt"));

        Assert.Equal(MeshErrorCodes.NotAllowed, ex.Code);
        Assert.False(File.Exists(Path.Combine(stars.RootB, "stolen.txt")));
    }

    [Fact]
    public void CanLink_StarsWithADataEndpoint_AreLinkable()
    {
        Assert.True(GridLinkCopier.CanLink(stars.Server.Registry.GetAgent("link-a")));
        Assert.True(GridLinkCopier.CanLink(stars.Server.Registry.GetAgent("link-b")));
        Assert.False(GridLinkCopier.CanLink(null));
    }

    private async Task<string> ExpectAsync(string path, long length, string? jobId = null)
    {
        jobId ??= "link-test-" + Guid.NewGuid().ToString("N");
        var request = new LinkExpectRequest(jobId, "link-a", "link-b", path, length, Resume: false, Convert.ToBase64String(stars.ServerKey.ExportSubjectPublicKeyInfo()));
        var reply = await stars.Server.Mesh.InvokeAsync<LinkExpectReply>("link-b", GridCommands.LinkExpect, request);
        Assert.Equal(0, reply!.Offset);
        return jobId;
    }

    private string Issue(string jobId, string path, long offset, long length) =>
        new GridLinkTokenIssuer(stars.ServerKey).Issue(jobId, "link-a", "link-b", path, offset, length, TimeSpan.FromMinutes(1));

    private async Task<HttpResponseMessage> PushAsync(string jobId, string token, long offset, byte[] data, byte[] digest)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(stars.DataB.Address, GridLinkProtocol.PushPath(jobId)))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([.. data, .. digest]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(GridLinkProtocol.Scheme, token);
        request.Headers.Add("X-Orbit-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Orbit-Length", data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await _http.SendAsync(request);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        var refusal = await response.Content.ReadFromJsonAsync<LinkRefusal>(OrbitMeshJson.Options);
        Assert.Equal(code, refusal!.Code);
        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    private static byte[] Digest(byte[] data) => Blake3.Hasher.Hash(data).AsSpan().ToArray();

    private static void WriteGenerated(string path, int size, int seed)
    {
        var random = new Random(seed);
        var block = new byte[1024 * 1024];
        using var file = File.Create(path);
        for (var written = 0; written < size; written += block.Length)
        {
            random.NextBytes(block);
            file.Write(block, 0, Math.Min(block.Length, size - written));
        }
    }

    private static async Task<string> HashFileAsync(string path) => (await new LocalSystem().HashRangeAsync(path)).Hex;
}
