using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrbitMesh.Cli.Tests.CommandLine;

/// <summary>users, api-keys and login against real server processes; the first admin printed once.</summary>
public sealed partial class UsersCommandTests : IDisposable
{
    private const string AdminPassword = "a long admin password";

    private readonly string _data = Directory.CreateTempSubdirectory("orbitmesh-users-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task CreateAdmin_ReadsThePasswordFromStdin_WritesTheDatabase_AndTheServerLogsItIn()
    {
        var created = await OrbitMeshProcess.RunWithInputAsync(AdminPassword + "\n", "users", "create-admin", "--data", _data, "--username", "root");
        Assert.Equal(0, created.ExitCode);
        Assert.Equal("Created the admin user 'root'.", created.Stdout.Trim());
        Assert.DoesNotContain(AdminPassword, created.Stdout, StringComparison.Ordinal);

        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        await using var server = OrbitMeshProcess.Start("server", "--urls", url, "--data", _data, "--agent-token", "cli-token", "--api-key", "static-admin-key", "--log-level", "Warning");
        await Wait.UntilAsync(() => server.StdoutSoFar.Contains("listening on", StringComparison.Ordinal), "the server to start");
        Assert.DoesNotContain("Created the first admin", server.StdoutSoFar, StringComparison.Ordinal);

        var login = await OrbitMeshProcess.RunWithInputAsync(AdminPassword + "\n", "login", "--username", "root", "--server", url, "--json");
        Assert.Equal(0, login.ExitCode);
        Assert.Equal("admin", JsonDocument.Parse(login.Stdout).RootElement.GetProperty("role").GetString());
        var wrong = await OrbitMeshProcess.RunWithInputAsync("not the password!!\n", "login", "--username", "root", "--server", url);
        Assert.Equal("error: The server refused the request (401): The username or password is wrong.", Assert.Single(wrong.StderrLines));

        var bob = await OrbitMeshProcess.RunWithInputAsync("bobs long password\n", "users", "create", "bob", "--role", "viewer", "--server", url, "--api-key", "static-admin-key");
        Assert.Equal(0, bob.ExitCode);
        var users = await OrbitMeshProcess.RunAsync("users", "list", "--json", "--server", url, "--api-key", "static-admin-key");
        Assert.Equal(["bob", "root"], JsonDocument.Parse(users.Stdout).RootElement.EnumerateArray().Select(u => u.GetProperty("username").GetString()).Order(StringComparer.Ordinal));

        var key = await OrbitMeshProcess.RunAsync("api-keys", "create", "--name", "ci", "--role", "viewer", "--server", url, "--api-key", "static-admin-key");
        Assert.Equal(0, key.ExitCode);
        Assert.Matches("^omk_[0-9a-f]{24}_", key.Stdout.Trim());
        var asViewer = await OrbitMeshProcess.RunAsync("users", "list", "--server", url, "--api-key", key.Stdout.Trim());
        Assert.Equal("error: The server refused the request (403): This action requires the admin role; this identity has the viewer role.", Assert.Single(asViewer.StderrLines));
        var keyId = key.Stdout.Trim().Split('_')[1];
        Assert.Equal(0, (await OrbitMeshProcess.RunAsync("api-keys", "revoke", keyId, "--server", url, "--api-key", "static-admin-key")).ExitCode);
        var listed = await OrbitMeshProcess.RunAsync("api-keys", "list", "--json", "--server", url, "--api-key", "static-admin-key");
        Assert.Equal("[]", listed.Stdout.Trim());

        await server.SignalAsync();
        Assert.Equal(0, (await server.WaitAsync()).ExitCode);
    }

    [Fact]
    public async Task CreateAdmin_ShortPassword_IsRefused()
    {
        var result = await OrbitMeshProcess.RunWithInputAsync("elevenchars\n", "users", "create-admin", "--data", _data);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("error: The password must be at least 12 characters long.", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task Server_FirstStart_PrintsTheAdminPasswordOnce()
    {
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        string password;
        await using (var first = OrbitMeshProcess.Start("server", "--urls", url, "--data", _data, "--agent-token", "cli-token", "--log-level", "Warning"))
        {
            await Wait.UntilAsync(() => first.StdoutSoFar.Contains("listening on", StringComparison.Ordinal), "the server to start");
            var match = FirstAdminLine().Match(first.StdoutSoFar);
            Assert.True(match.Success, first.StdoutSoFar);
            password = match.Groups[1].Value;

            var login = await OrbitMeshProcess.RunWithInputAsync(password + "\n", "login", "--username", "admin", "--server", url, "--print-token");
            Assert.Equal(0, login.ExitCode);
            Assert.Equal(3, login.Stdout.Trim().Split('.').Length);
            var anonymous = await OrbitMeshProcess.RunAsync("agents", "list", "--server", url);
            Assert.NotEqual(0, anonymous.ExitCode);

            await first.SignalAsync();
            Assert.Equal(0, (await first.WaitAsync()).ExitCode);
        }

        await using var second = OrbitMeshProcess.Start("server", "--urls", $"http://127.0.0.1:{FreePort.Next()}", "--data", _data, "--agent-token", "cli-token", "--log-level", "Warning");
        await Wait.UntilAsync(() => second.StdoutSoFar.Contains("listening on", StringComparison.Ordinal), "the server to start again");
        Assert.DoesNotContain("Created the first admin", second.StdoutSoFar, StringComparison.Ordinal);
        Assert.DoesNotContain(password, second.StdoutSoFar, StringComparison.Ordinal);
        await second.SignalAsync();
        Assert.Equal(0, (await second.WaitAsync()).ExitCode);
    }

    [GeneratedRegex("^Created the first admin user 'admin' with password: (\\S+)$", RegexOptions.Multiline)]
    private static partial Regex FirstAdminLine();
}
