using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Security;

/// <summary>
/// The server takes credentials only from its own options: the CLI's credential variable
/// (<c>$ORBITMESH_API_KEY</c>) never becomes a static admin key, and secrets never appear in help.
/// </summary>
public sealed class ServerCredentialTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ServerStartedWithTheClientsKeyInItsEnvironment_KeepsThatKeysRole_AndItsRevocation()
    {
        await using var mesh = new MeshProcesses(output);
        var first = await mesh.StartServerAsync(withToken: false);
        var viewer = await CreateKeyAsync(mesh, first, "viewer");
        var revoked = await CreateKeyAsync(mesh, first, "admin");
        var revoke = await mesh.RunAsync("api-keys-revoke", CommandTimeout, "api-keys", "revoke", KeyId(revoked), "--server", first.UrlText);
        Assert.True(revoke.ExitCode == 0, revoke.Describe());
        await first.Process.KillAsync();

        // A shell in which the CLI's credential is a viewer key: the server started from it has no static key.
        mesh.ClientEnvironment["ORBITMESH_API_KEY"] = viewer;
        var second = await mesh.StartServerAsync(withToken: false, withApiKey: false);
        using (var http = Client(second, viewer))
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/agents")).StatusCode);
            var create = await http.PostAsJsonAsync("/api/api-keys", new { name = "escalate", role = "admin" });
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        }

        Assert.DoesNotContain(second.Process.StdoutLines.Concat(second.Process.StderrLines), l => l.Contains(viewer, StringComparison.Ordinal));
        await second.Process.KillAsync();

        // And a revoked key in that variable stays revoked.
        mesh.ClientEnvironment["ORBITMESH_API_KEY"] = revoked;
        var third = await mesh.StartServerAsync(withToken: false, withApiKey: false);
        using (var http = Client(third, revoked))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/agents")).StatusCode);
        }
    }

    [Fact]
    public async Task StaticKey_IsLoggedByItsIdNeverItsValue()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(withToken: false);

        var line = await server.Process.WaitForStderrAsync(l => l.Contains("static admin API key", StringComparison.Ordinal), "the server logs its static key", MeshProcesses.StartTimeout);
        Assert.Matches(@"static:[0-9a-f]{12}", line);
        Assert.DoesNotContain(server.Process.StdoutLines.Concat(server.Process.StderrLines), l => l.Contains(MeshProcesses.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StaticKeyThatIsAStoredKey_IsRefusedAtStart()
    {
        await using var mesh = new MeshProcesses(output);
        var server = mesh.Start("server", "server", "--urls", "http://127.0.0.1:0", "--data", mesh.DataDirectory, "--api-key", "omk_0123456789abcdef01234567_secret");

        var exitCode = await server.WaitForExitAsync("the server to refuse a stored key as its static key", CommandTimeout);

        Assert.True(exitCode != 0, server.Describe());
        var error = Assert.Single(server.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("must not be a stored API key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_NeverShowsTheApiKeyFromTheEnvironment()
    {
        await using var mesh = new MeshProcesses(output);
        mesh.ClientEnvironment["ORBITMESH_API_KEY"] = "omk_0123456789abcdef01234567_helpsecret";
        string[][] commands = [["jobs", "submit", "--help"], ["agents", "list", "--help"], ["api-keys", "create", "--help"], ["server", "--help"]];
        foreach (var command in commands)
        {
            var help = await mesh.RunAsync(string.Join('-', command), CommandTimeout, command);
            Assert.True(help.ExitCode == 0, help.Describe());
            Assert.Contains("--api-key", help.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("helpsecret", help.Stdout + help.Stderr, StringComparison.Ordinal);
        }
    }

    private static async Task<string> CreateKeyAsync(MeshProcesses mesh, ServerProcess server, string role)
    {
        var create = await mesh.RunAsync($"api-keys-create-{role}", CommandTimeout, "api-keys", "create", "--name", role + "-key", "--role", role, "--server", server.UrlText, "--json");
        Assert.True(create.ExitCode == 0, create.Describe());
        using var document = JsonDocument.Parse(create.Stdout);
        return document.RootElement.GetProperty("key").GetString()!;
    }

    private static string KeyId(string key) => key.Split('_')[1];

    private static HttpClient Client(ServerProcess server, string key)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }
}
