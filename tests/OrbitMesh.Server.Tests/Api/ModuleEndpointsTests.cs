using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using OrbitMesh.Modules;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Tests.Security;

namespace OrbitMesh.Server.Tests.Api;

public sealed class ModuleEndpointsTests
{
    /// <summary>The smallest valid module: the magic number and version 1, no sections.</summary>
    private static readonly byte[] EmptyModule = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

    /// <summary>A module with one empty custom section, so its bytes differ from <see cref="EmptyModule"/>.</summary>
    private static readonly byte[] OtherModule = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x78];

    private static ByteArrayContent Wasm(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
        return content;
    }

    private static HttpClient AgentClient(TestMeshServer server, string? token = TestMeshServer.AgentToken)
    {
        var http = new HttpClient { BaseAddress = server.Url };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    [Fact]
    public async Task Upload_ThenAgentResolvesAndDownloads_BytesMatchTheDigest()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        using var agent = AgentClient(server);

        using var upload = await http.PostAsync("/api/modules/resize?version=1.0", Wasm(EmptyModule));
        var info = await upload.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options);
        using var resolved = await agent.GetAsync("/api/agent/modules/resize");
        var resolvedInfo = await resolved.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options);
        using var download = await agent.GetAsync("/api/agent/modules/resize/1.0/content");
        var bytes = await download.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(EmptyModule)), info!.Sha256);
        Assert.Equal(EmptyModule.Length, info.Size);
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal(info.Sha256, resolvedInfo!.Sha256);
        Assert.Equal("1.0", resolvedInfo.Version);
        Assert.Equal(EmptyModule, bytes);
        Assert.Equal(info.Sha256, download.Headers.GetValues("X-OrbitMesh-Sha256").Single());
        Assert.Equal("application/wasm", download.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Upload_WithoutVersion_NumbersVersionsAndTheNewestResolves()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        using var agent = AgentClient(server);

        using var first = await http.PostAsync("/api/modules/m", Wasm(EmptyModule));
        using var second = await http.PostAsync("/api/modules/m", Wasm(OtherModule));
        var newest = await agent.GetFromJsonAsync<WasmModuleInfo>("/api/agent/modules/m", OrbitMeshJson.Options);
        var pinned = await agent.GetFromJsonAsync<WasmModuleInfo>("/api/agent/modules/m?version=1", OrbitMeshJson.Options);
        var versions = await http.GetFromJsonAsync<JsonElement>("/api/modules/m");
        var all = await http.GetFromJsonAsync<JsonElement>("/api/modules");

        Assert.Equal("1", (await first.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options))!.Version);
        Assert.Equal("2", (await second.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options))!.Version);
        Assert.Equal("2", newest!.Version);
        Assert.Equal("1", pinned!.Version);
        Assert.Equal(2, versions.GetArrayLength());
        Assert.Equal(2, all.GetArrayLength());
    }

    [Fact]
    public async Task Upload_SameVersionOtherBytes_RefusedAsConflictAndAudited()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var first = await http.PostAsync("/api/modules/m?version=1", Wasm(EmptyModule));
        using var again = await http.PostAsync("/api/modules/m?version=1", Wasm(EmptyModule));
        using var conflict = await http.PostAsync("/api/modules/m?version=1", Wasm(OtherModule));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("immutable", await ApiSecurity.DetailAsync(conflict), StringComparison.Ordinal);
        var audit = await ApiSecurity.AuditAsync(server, AuditEventTypes.ModuleUploaded);
        Assert.Contains(audit, e => e.Success && e.Subject == "m@1");
        Assert.Contains(audit, e => !e.Success && e.Subject == "m@1");
    }

    [Theory]
    [InlineData("/api/modules/m", "not a module")]
    [InlineData("/api/modules/..", "\0asm")]
    [InlineData("/api/modules/m?version=a%2Fb", "\0asm")]
    public async Task Upload_BadNameOrBody_RefusedWithProblem(string path, string body)
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var bytes = body == "\0asm" ? EmptyModule : System.Text.Encoding.UTF8.GetBytes(body);

        using var response = await http.PostAsync(path, Wasm(bytes));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{(int)response.StatusCode}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.NotEmpty(await ApiSecurity.DetailAsync(response));
        }
    }

    [Fact]
    public async Task AgentRoutes_WithoutOrWithWrongToken_Unauthorized()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var anonymous = AgentClient(server, token: null);
        using var wrong = AgentClient(server, token: "not-a-token");

        using var missing = await anonymous.GetAsync("/api/agent/modules/m");
        using var refused = await wrong.GetAsync("/api/agent/modules/m/1/content");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task AgentRoutes_UnknownModule_NotFound()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var agent = AgentClient(server);

        using var resolve = await agent.GetAsync("/api/agent/modules/none");
        using var download = await agent.GetAsync("/api/agent/modules/none/1/content");

        Assert.Equal(HttpStatusCode.NotFound, resolve.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
    }

    [Theory]
    [InlineData(OrbitMeshRoles.Viewer)]
    [InlineData(OrbitMeshRoles.Operator)]
    public async Task Upload_BelowAdmin_Forbidden(string role)
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, role);
        var login = await ApiSecurity.LoginAsync(server, role + "-user");
        using var http = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);

        using var upload = await http.PostAsync("/api/modules/m", Wasm(EmptyModule));
        using var list = await http.GetAsync("/api/modules");

        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task Upload_ByOperator_AllowedWhenThePolicySaysSo()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.Security.OperatorsMayUploadModules = true);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Operator, OrbitMeshRoles.Viewer);
        using var operatorHttp = ApiSecurity.Bearer(server, (await ApiSecurity.LoginAsync(server, "operator-user")).GetProperty("accessToken").GetString()!);
        using var viewerHttp = ApiSecurity.Bearer(server, (await ApiSecurity.LoginAsync(server, "viewer-user")).GetProperty("accessToken").GetString()!);

        using var byOperator = await operatorHttp.PostAsync("/api/modules/m", Wasm(EmptyModule));
        using var byViewer = await viewerHttp.PostAsync("/api/modules/m", Wasm(OtherModule));

        Assert.Equal(HttpStatusCode.Created, byOperator.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
    }
}
