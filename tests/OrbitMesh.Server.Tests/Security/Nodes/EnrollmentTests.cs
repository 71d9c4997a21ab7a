using System.Net;
using System.Net.Http.Json;
using OrbitMesh.Security;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>Bootstrap tokens and enrollment over the real REST API: every refusal, and the happy path.</summary>
public sealed class EnrollmentTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private NodeTestKit _kit = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync();
        _kit = new NodeTestKit(_server);
    }

    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Enroll_WithToken_IsPendingUntilApproved_ThenGetsACertificateBindingIdAndGrants()
    {
        var token = await _kit.CreateTokenAsync(capabilities: ["echo", "file.*"]);
        Assert.StartsWith("omb_" + token.Id + "_", token.Token, StringComparison.Ordinal);
        var identity = _kit.NewIdentity("worker-1");

        var pending = await _kit.Enrollment.RequestAsync(identity, token.Token!, "Worker one", ["echo", "file.read", "gpu"]);

        Assert.Equal(NodeStatus.Pending, pending.Status);
        Assert.Equal(NodeStatus.Pending, (await _kit.Enrollment.StatusAsync(identity)).Status);
        Assert.Null(identity.Certificate);
        var listed = await _kit.Http.GetFromJsonAsync<List<NodeView>>("/api/nodes?status=pending", OrbitMeshJson.Options);
        var node = Assert.Single(listed!);
        Assert.Equal("worker-1", node.Id);
        Assert.Equal(identity.KeyFingerprint, node.KeyFingerprint);
        Assert.Equal(["echo", "file.read", "gpu"], node.RequestedCapabilities); // as the node asked (issue 12, item 19)
        Assert.Equal(["echo", "file.read"], node.OfferedCapabilities); // 'gpu' is not offered by the token
        Assert.Empty(node.GrantedCapabilities);

        await _kit.DecideAsync("worker-1", "approve");
        var approved = await _kit.Enrollment.StatusAsync(identity);

        Assert.Equal(NodeStatus.Approved, approved.Status);
        Assert.Equal(["echo", "file.read"], approved.Capabilities);
        var certificate = identity.Certificate;
        Assert.NotNull(certificate);
        Assert.Equal("worker-1", CertificateAuthority.NodeIdOf(certificate));
        Assert.Equal(["echo", "file.read"], CertificateAuthority.CapabilitiesOf(certificate));
        Assert.True(_server.Services.GetRequiredService<CertificateAuthority>().Issued(certificate, DateTimeOffset.UtcNow));
        Assert.Equal(identity.CaCertificate!.Thumbprint, _server.Services.GetRequiredService<CertificateAuthority>().Certificate.Thumbprint);
        Assert.True(File.Exists(Path.Combine(identity.Directory, "node.crt")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(identity.Directory, "node.key")));
        }
    }

    [Fact]
    public async Task Token_UsedOnce_IsRefusedTheSecondTime()
    {
        var token = await _kit.CreateTokenAsync();
        await _kit.Enrollment.RequestAsync(_kit.NewIdentity("first"), token.Token!, null, []);

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("second"), token.Token!, null, []));

        Assert.Contains("already used", refusal.Message, StringComparison.Ordinal);
        var view = Assert.Single(await _kit.Http.GetFromJsonAsync<List<BootstrapTokenView>>("/api/tokens", OrbitMeshJson.Options) ?? []);
        Assert.Equal("used", view.State);
        Assert.Null(view.Token); // the secret is shown once, never listed
        Assert.Contains(await _kit.AuditAsync("?type=token.used"), e => !e.Success && e.Reason == "the bootstrap token was already used");
    }

    [Fact]
    public async Task Token_WithThreeUses_UnderConcurrentRequests_EnrollsExactlyThree()
    {
        var token = await _kit.CreateTokenAsync(uses: 3);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            try
            {
                await _kit.Enrollment.RequestAsync(_kit.NewIdentity("node-" + i), token.Token!, null, []);
                return true;
            }
            catch (MeshAuthenticationException)
            {
                return false;
            }
        }));

        Assert.Equal(3, attempts.Count(a => a));
    }

    [Fact]
    public async Task Token_Revoked_IsRefused()
    {
        var token = await _kit.CreateTokenAsync();
        using var revoke = await _kit.Http.DeleteAsync($"/api/tokens/{token.Id}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("n"), token.Token!, null, []));

        Assert.Contains("revoked", refusal.Message, StringComparison.Ordinal);
        Assert.Contains(await _kit.AuditAsync("?type=token.revoked"), e => e.Subject == token.Id);
    }

    [Theory]
    [InlineData("not-a-token", "malformed")]
    [InlineData("omb_000000000000000000000000_AAAA", "unknown")]
    public async Task Token_MalformedOrUnknown_IsRefused(string token, string reason)
    {
        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("n"), token, null, []));

        Assert.Contains(reason, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_RightIdWrongSecret_IsRefusedAsUnknown_AndNotUsedUp()
    {
        var token = await _kit.CreateTokenAsync();
        var forged = token.Token![..^4] + (token.Token[^4..] == "AAAA" ? "BBBB" : "AAAA");

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("n1"), forged, null, []));

        Assert.Contains("unknown", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(NodeStatus.Pending, (await _kit.Enrollment.RequestAsync(_kit.NewIdentity("n2"), token.Token, null, [])).Status);
    }

    [Fact]
    public async Task Enroll_AnIdAlreadyEnrolled_IsRefused_AndTheTokenIsNotUsed()
    {
        await _kit.EnrollApprovedAsync("taken", "echo");
        var token = await _kit.CreateTokenAsync();

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.RequestAsync(_kit.NewIdentity("taken"), token.Token!, null, []));

        Assert.Contains("already enrolled", refusal.Message, StringComparison.Ordinal);
        var listed = await _kit.Http.GetFromJsonAsync<List<BootstrapTokenView>>("/api/tokens", OrbitMeshJson.Options);
        Assert.Equal("active", listed!.Single(t => t.Id == token.Id).State);
    }

    [Fact]
    public async Task Enroll_AfterRemoval_StartsWithoutTheOldGrants()
    {
        await _kit.EnrollApprovedAsync("again", "echo", "file.*");
        using (var remove = await _kit.Http.DeleteAsync("/api/nodes/again"))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }

        var token = await _kit.CreateTokenAsync();
        var identity = _kit.NewIdentity("again");
        await _kit.Enrollment.RequestAsync(identity, token.Token!, null, []);

        var node = await _kit.GetNodeAsync("again");
        Assert.Equal(NodeStatus.Pending, node.Status);
        Assert.Empty(node.GrantedCapabilities);
        Assert.Null(node.CertificateSerial);
        await _kit.DecideAsync("again", "approve", new NodeDecision { Capabilities = ["sleep"] });
        Assert.Equal(["sleep"], (await _kit.Enrollment.StatusAsync(identity)).Capabilities);
    }

    [Fact]
    public async Task Reject_PendingNode_IsFinal_ItsProofIsAnsweredRejected()
    {
        var token = await _kit.CreateTokenAsync();
        var identity = _kit.NewIdentity("unwanted");
        await _kit.Enrollment.RequestAsync(identity, token.Token!, null, []);

        await _kit.DecideAsync("unwanted", "reject", new NodeDecision { Reason = "unknown machine" });

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.WaitForApprovalAsync(identity, TimeSpan.FromMilliseconds(10)));
        Assert.Contains("rejected: unknown machine", refusal.Message, StringComparison.Ordinal);
        using var approve = await _kit.DecideAsync("unwanted", "approve", expectSuccess: false);
        Assert.Equal(HttpStatusCode.Conflict, approve.StatusCode);
        Assert.Contains(await _kit.AuditAsync("?subject=unwanted"), e => e.Type == "enrollment.rejected" && e.Reason == "unknown machine");
    }

    [Fact]
    public async Task Status_WithAnotherKeysSignature_IsRefused()
    {
        var identity = await _kit.EnrollApprovedAsync("victim", "echo");
        var impostor = _kit.NewIdentity("impostor");
        var challenge = await Challenge("victim");

        var (status, detail) = await _kit.PostAsync("/api/enroll/status", new StatusRequest("victim", challenge.Nonce, NodeProof.Sign(impostor.Key, NodeProof.StatusPurpose, "victim", challenge.Nonce)));

        Assert.Equal(401, status);
        Assert.Contains("signature does not match the node's enrolled key", detail, StringComparison.Ordinal);
        Assert.NotNull(identity.Certificate);
    }

    [Fact]
    public async Task Status_SignedForAnotherPurpose_OrWithAReusedNonce_IsRefused()
    {
        var identity = await _kit.EnrollApprovedAsync("careful", "echo");
        var challenge = await Challenge("careful");

        var (wrongPurpose, detail) = await _kit.PostAsync("/api/enroll/status", new StatusRequest("careful", challenge.Nonce, NodeProof.Sign(identity.Key, NodeProof.ConnectPurpose, "careful", challenge.Nonce)));
        Assert.Equal(401, wrongPurpose);
        Assert.Contains("signature does not match", detail, StringComparison.Ordinal);

        var fresh = await Challenge("careful");
        var proof = new StatusRequest("careful", fresh.Nonce, NodeProof.Sign(identity.Key, NodeProof.StatusPurpose, "careful", fresh.Nonce));
        Assert.Equal(200, (await _kit.PostAsync("/api/enroll/status", proof)).Status);
        var (reused, reusedDetail) = await _kit.PostAsync("/api/enroll/status", proof);
        Assert.Equal(401, reused);
        Assert.Contains("already used", reusedDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NonceIssuedToAnotherNode_IsRefused()
    {
        var identity = await _kit.EnrollApprovedAsync("mine", "echo");
        var challenge = await Challenge("someone-else");

        var (status, detail) = await _kit.PostAsync("/api/enroll/status", new StatusRequest("mine", challenge.Nonce, NodeProof.Sign(identity.Key, NodeProof.StatusPurpose, "mine", challenge.Nonce)));

        Assert.Equal(401, status);
        Assert.Contains("issued to another node", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"token":"x","nodeId":"n","publicKey":"not base64!"}""", "publicKey must be an ECDSA P-256 public key")]
    [InlineData("""{"token":"x","nodeId":"n","publicKey":"AAAA"}""", "publicKey must be an ECDSA P-256 public key")]
    [InlineData("""{"token":"x","nodeId":"n"}""", "publicKey must be an ECDSA P-256 public key")]
    [InlineData("""{"token":"x","nodeId":"","publicKey":"AAAA"}""", "publicKey")]
    [InlineData("""[1,2]""", "not valid JSON for this endpoint")]
    public async Task Enroll_BadInput_Is400WithAClearDetail(string body, string expected)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _kit.Http.PostAsync("/api/enroll", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enroll_AnRsaKey_IsRefused()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var (status, detail) = await _kit.PostAsync("/api/enroll", new EnrollmentRequest { Token = "x", NodeId = "n", PublicKey = Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()) });

        Assert.Equal(400, status);
        Assert.Contains("P-256", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"uses":0}""", "uses must be between 1")]
    [InlineData("""{"ttlSeconds":0}""", "ttlSeconds must be between 1")]
    [InlineData("""{"capabilities":["has space"]}""", "is not valid")]
    public async Task CreateToken_BadInput_Is400(string body, string expected)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await _kit.Http.PostAsync("/api/tokens", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decisions_OnUnknownNodes_Are404()
    {
        foreach (var decision in new[] { "approve", "reject", "revoke" })
        {
            using var response = await _kit.DecideAsync("ghost", decision, expectSuccess: false);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using var remove = await _kit.Http.DeleteAsync("/api/nodes/ghost");
        Assert.Equal(HttpStatusCode.NotFound, remove.StatusCode);
        using var revokeToken = await _kit.Http.DeleteAsync("/api/tokens/ghost");
        Assert.Equal(HttpStatusCode.NotFound, revokeToken.StatusCode);
    }

    [Fact]
    public async Task Audit_RecordsTheEnrollmentStory_NewestFirst()
    {
        var identity = await _kit.EnrollApprovedAsync("storied", "echo");

        var entries = await _kit.AuditAsync();

        var types = entries.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf("enrollment.approved") < types.IndexOf("enrollment.requested"), string.Join(",", types));
        Assert.True(types.IndexOf("token.used") < types.IndexOf("token.created"), string.Join(",", types));
        Assert.Contains(entries, e => e.Type == "enrollment.approved" && e.Subject == "storied" && e.Reason == "granted echo");
        Assert.All(entries, e => Assert.Equal("127.0.0.1", e.RemoteAddress));
        Assert.NotNull(identity.Certificate);
    }

    [Fact]
    public async Task EnsureEnrolled_FirstStartWaitsForApproval_LaterStartsLoadTheIdentity()
    {
        var token = await _kit.CreateTokenAsync();
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-ensure-" + Guid.NewGuid().ToString("N"));
        try
        {
            var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var enrolling = _kit.Enrollment.EnsureEnrolledAsync(directory, "ensured", token.Token, null, ["echo"], TimeSpan.FromMilliseconds(20), i => waiting.TrySetResult(i.NodeId));
            Assert.Equal("ensured", await Wait.ForAsync(waiting.Task, "the node to wait for approval"));
            Assert.False(enrolling.IsCompleted);

            await _kit.DecideAsync("ensured", "approve");
            using (var identity = await Wait.ForAsync(enrolling, "the approval to be noticed"))
            {
                Assert.NotNull(identity.Certificate);
            }

            // A later start: no token needed, no waiting, the same key.
            var called = false;
            using var again = await _kit.Enrollment.EnsureEnrolledAsync(directory, null, null, null, [], TimeSpan.FromMilliseconds(20), _ => called = true);
            Assert.Equal("ensured", again.NodeId);
            Assert.False(called);
            var mismatch = await Assert.ThrowsAsync<OrbitMeshException>(() => _kit.Enrollment.EnsureEnrolledAsync(directory, "someone-else", null, null, [], TimeSpan.FromMilliseconds(20)));
            Assert.Contains("differs from the node enrolled", mismatch.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task EnsureEnrolled_Refused_LeavesNoIdentityBehind_AndWithoutATokenSaysSo()
    {
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-ensure-" + Guid.NewGuid().ToString("N"));
        try
        {
            var noToken = await Assert.ThrowsAsync<OrbitMeshException>(() => _kit.Enrollment.EnsureEnrolledAsync(directory, "n", null, null, [], TimeSpan.FromMilliseconds(20)));
            Assert.Contains("a bootstrap token", noToken.Message, StringComparison.Ordinal);

            await Assert.ThrowsAsync<MeshAuthenticationException>(() => _kit.Enrollment.EnsureEnrolledAsync(directory, "n", "omb_0000_AAAA", null, [], TimeSpan.FromMilliseconds(20)));

            Assert.False(OrbitMesh.Agent.Security.NodeIdentity.Exists(directory));
            Assert.Empty(Directory.Exists(directory) ? Directory.GetFiles(directory) : []);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task EnrollmentEndpoints_PastTheirRateLimit_Answer429WithRetryAfter()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Security.EnrollmentPermitsPerMinute = 3);
        using var http = new HttpClient { BaseAddress = server.Url };
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4; i++)
        {
            var response = await http.PostAsJsonAsync("/api/enroll/challenge", new ChallengeRequest("flood"), OrbitMeshJson.Options);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        using (limited)
        {
            Assert.True(limited!.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After names when to come back");
        }

        // The same address's enrollment requests share the budget.
        using var enroll = await http.PostAsJsonAsync("/api/enroll", new EnrollmentRequest { Token = "x" }, OrbitMeshJson.Options);
        Assert.Equal(HttpStatusCode.TooManyRequests, enroll.StatusCode);
    }

    private async Task<NodeChallenge> Challenge(string nodeId)
    {
        using var response = await _kit.Http.PostAsJsonAsync("/api/enroll/challenge", new ChallengeRequest(nodeId), OrbitMeshJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<NodeChallenge>(OrbitMeshJson.Options))!;
    }
}
