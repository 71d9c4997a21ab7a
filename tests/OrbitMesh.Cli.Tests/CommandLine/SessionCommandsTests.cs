using System.Text.Json;

namespace OrbitMesh.Cli.Tests.CommandLine;

/// <summary>
/// login/logout/refresh/password and the admin's set-role/set-password and expiring API keys, with the real
/// CLI against a real server process; each test's commands share one credentials file in a temp directory.
/// </summary>
public sealed class SessionCommandsTests : IAsyncLifetime
{
    private const string RootPassword = "a long admin password";

    private readonly string _data = Directory.CreateTempSubdirectory("orbitmesh-session-").FullName;
    private readonly string _home = Directory.CreateTempSubdirectory("orbitmesh-session-home-").FullName;
    private OrbitMeshProcess? _server;
    private string _url = "";

    private string CredentialsPath => Path.Combine(_home, "orbitmesh", "credentials.json");

    private Dictionary<string, string> Root => new() { ["ORBITMESH_CREDENTIALS"] = CredentialsPath };

    public async Task InitializeAsync()
    {
        var created = await OrbitMeshProcess.RunWithInputAsync(RootPassword + "\n", "users", "create-admin", "--data", _data, "--username", "root");
        Assert.Equal(0, created.ExitCode);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.SignalAsync();
            Assert.Equal(0, (await _server.WaitAsync()).ExitCode);
            await _server.DisposeAsync();
        }

        Directory.Delete(_data, recursive: true);
        Directory.Delete(_home, recursive: true);
    }

    [Fact]
    public async Task Login_IsSavedForTheOwnerOnly_LaterCommandsUseIt_RefreshRotates_LogoutEndsIt()
    {
        await StartServerAsync();

        var login = await OrbitMeshProcess.RunWithAsync(Root, RootPassword + "\n", "login", "--username", "root", "--server", _url);
        Assert.Equal(0, login.ExitCode);
        Assert.Equal($"Logged in to {_url}/ as 'root' (role admin); saved in {CredentialsPath}.", login.Stdout.Trim());
        Assert.DoesNotContain(RootPassword, File.ReadAllText(CredentialsPath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CredentialsPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(CredentialsPath)!));
        }
        var first = Saved();
        Assert.Equal("root", first.GetProperty("username").GetString());

        // No --api-key and no $ORBITMESH_ACCESS_TOKEN: the saved login is sent.
        var users = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--json", "--server", _url);
        Assert.Equal(0, users.ExitCode);
        Assert.Equal("root", Assert.Single(JsonDocument.Parse(users.Stdout).RootElement.EnumerateArray()).GetProperty("username").GetString());
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, null, "agents", "list", "--server", _url)).ExitCode);

        var refreshed = await OrbitMeshProcess.RunWithAsync(Root, null, "refresh", "--server", _url, "--json");
        Assert.Equal(0, refreshed.ExitCode);
        Assert.Equal("root", JsonDocument.Parse(refreshed.Stdout).RootElement.GetProperty("username").GetString());
        Assert.NotEqual(first.GetProperty("refreshToken").GetString(), Saved().GetProperty("refreshToken").GetString());
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--server", _url)).ExitCode);

        var logout = await OrbitMeshProcess.RunWithAsync(Root, null, "logout", "--server", _url);
        Assert.Equal(0, logout.ExitCode);
        Assert.Equal($"Logged out 'root' from {_url}/.", logout.Stdout.Trim());
        Assert.False(JsonDocument.Parse(File.ReadAllText(CredentialsPath)).RootElement.GetProperty("servers").TryGetProperty(_url + "/", out _));

        var refused = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--server", _url);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.StartsWith("error: The server refused the request (401)", Assert.Single(refused.StderrLines), StringComparison.Ordinal);
        var again = await OrbitMeshProcess.RunWithAsync(Root, null, "logout", "--server", _url);
        Assert.Equal($"error: Not logged in to {_url}/ (no saved login in {CredentialsPath}).", Assert.Single(again.StderrLines));
    }

    [Fact]
    public async Task SavedLogin_AboutToExpire_IsRefreshedOnce_EvenByCommandsRunningTogether()
    {
        // Under the CLI's 60 s margin: every command finds the token about to expire and refreshes it.
        await StartServerAsync("--access-token-lifetime", "45s");
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, RootPassword + "\n", "login", "--username", "root", "--server", _url)).ExitCode);
        var before = Saved();

        // Each refresh rotates the refresh token; had two commands sent the same one, the server would
        // take the second for a stolen token and end the login, and later commands would fail.
        var together = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--server", _url)));
        Assert.All(together, result => Assert.True(result.ExitCode == 0, result.Stderr));
        var after = Saved();
        Assert.NotEqual(before.GetProperty("refreshToken").GetString(), after.GetProperty("refreshToken").GetString());
        Assert.True(after.GetProperty("expiresAt").GetDateTimeOffset() > before.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--server", _url)).ExitCode);
    }

    [Fact]
    public async Task SavedLogin_WhoseRefreshIsRefused_IsForgotten()
    {
        await StartServerAsync("--access-token-lifetime", "45s");
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, RootPassword + "\n", "login", "--username", "root", "--server", _url)).ExitCode);
        var saved = File.ReadAllText(CredentialsPath);
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, null, "refresh", "--server", _url)).ExitCode);

        // Put back the login with the refresh token the server has already rotated: it is refused as reused.
        File.WriteAllText(CredentialsPath, saved);
        var refused = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "list", "--server", _url);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.StartsWith($"error: The saved login of 'root' at {_url}/ has ended (", Assert.Single(refused.StderrLines), StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(File.ReadAllText(CredentialsPath)).RootElement.GetProperty("servers").TryGetProperty(_url + "/", out _));
    }

    [Fact]
    public async Task Admin_SetsRolesAndPasswords_UsersChangeTheirOwn_TheLastAdminStays()
    {
        await StartServerAsync();
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, RootPassword + "\n", "login", "--username", "root", "--server", _url)).ExitCode);
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, "bobs first password\n", "users", "create", "bob", "--role", "viewer", "--server", _url)).ExitCode);
        var bob = new Dictionary<string, string> { ["ORBITMESH_CREDENTIALS"] = Path.Combine(_home, "bob", "credentials.json") };
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(bob, "bobs first password\n", "login", "--username", "bob", "--server", _url)).ExitCode);
        var asViewer = await OrbitMeshProcess.RunWithAsync(bob, null, "jobs", "submit", "echo", "--server", _url);
        Assert.Contains("(403)", asViewer.Stderr, StringComparison.Ordinal);

        var promoted = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "set-role", "bob", "--role", "operator", "--server", _url);
        Assert.Equal("The user 'bob' now has role operator.", promoted.Stdout.Trim());
        var asOperator = await OrbitMeshProcess.RunWithAsync(bob, null, "jobs", "submit", "echo", "--server", _url);
        Assert.True(asOperator.ExitCode == 0, asOperator.Stderr);
        var demoteRoot = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "set-role", "root", "--role", "viewer", "--server", _url);
        Assert.Equal("error: The server answered 409: 'root' is the last admin and cannot be demoted; give another user the admin role first.", Assert.Single(demoteRoot.StderrLines));
        var deleteRoot = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "delete", "root", "--server", _url);
        Assert.NotEqual(0, deleteRoot.ExitCode);

        // bob changes his own password: his saved login is replaced by the answer's, so it keeps working.
        var changed = await OrbitMeshProcess.RunWithAsync(bob, "bobs first password\nbobs second password\n", "password", "--server", _url);
        Assert.Equal("Changed the password of 'bob'; its other sessions have ended, this one is saved.", changed.Stdout.Trim());
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(bob, null, "agents", "list", "--server", _url)).ExitCode);
        var oldPassword = await OrbitMeshProcess.RunWithInputAsync("bobs first password\n", "login", "--username", "bob", "--server", _url, "--no-save");
        Assert.NotEqual(0, oldPassword.ExitCode);
        var wrongCurrent = await OrbitMeshProcess.RunWithAsync(bob, "not bobs password\nbobs third password\n", "password", "--server", _url);
        Assert.NotEqual(0, wrongCurrent.ExitCode);

        // The admin sets it: bob's saved session ends at once, the new password logs him in.
        var set = await OrbitMeshProcess.RunWithAsync(Root, "set by the admin!\n", "users", "set-password", "bob", "--server", _url);
        Assert.Equal("Set the password of 'bob'; its sessions have ended.", set.Stdout.Trim());
        var ended = await OrbitMeshProcess.RunWithAsync(bob, null, "agents", "list", "--server", _url);
        Assert.StartsWith("error: The server refused the request (401)", Assert.Single(ended.StderrLines), StringComparison.Ordinal);
        var relogin = await OrbitMeshProcess.RunWithAsync(bob, "set by the admin!\n", "login", "--username", "bob", "--server", _url, "--json");
        Assert.Equal("operator", JsonDocument.Parse(relogin.Stdout).RootElement.GetProperty("role").GetString());

        var missing = await OrbitMeshProcess.RunWithAsync(Root, null, "users", "set-role", "nobody", "--role", "viewer", "--server", _url);
        Assert.Equal("error: The server answered 404: No user named 'nobody'.", Assert.Single(missing.StderrLines));
    }

    [Fact]
    public async Task ApiKeys_WithAnExpiry_AreListedWithIt_AndRefusedAfterIt()
    {
        await StartServerAsync();
        Assert.Equal(0, (await OrbitMeshProcess.RunWithAsync(Root, RootPassword + "\n", "login", "--username", "root", "--server", _url)).ExitCode);

        var hour = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "create", "--name", "hour", "--role", "viewer", "--expires-in", "1h", "--json", "--server", _url);
        Assert.Equal(0, hour.ExitCode);
        var expiresAt = JsonDocument.Parse(hour.Stdout).RootElement.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));

        var past = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "create", "--name", "past", "--role", "viewer", "--expires-at", "2020-01-01T00:00:00Z", "--server", _url);
        Assert.NotEqual(0, past.ExitCode);
        Assert.StartsWith("error: The server answered 422", Assert.Single(past.StderrLines), StringComparison.Ordinal);
        var both = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "create", "--name", "both", "--role", "viewer", "--expires-in", "1h", "--expires-at", "2030-01-01T00:00:00Z", "--server", _url);
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("Give --expires-in or --expires-at, not both.", both.Stderr, StringComparison.Ordinal);
        var badDuration = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "create", "--name", "bad", "--role", "viewer", "--expires-in", "soon", "--server", _url);
        Assert.Equal("error: --expires-in 'soon' is not a duration; use e.g. 90s, 30m, 1h or 7d.", Assert.Single(badDuration.StderrLines));

        var brief = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "create", "--name", "brief", "--role", "viewer", "--expires-in", "3s", "--server", _url);
        var key = brief.Stdout.Trim();
        Assert.Equal(0, (await OrbitMeshProcess.RunAsync("agents", "list", "--server", _url, "--api-key", key)).ExitCode);
        await Wait.UntilAsync(
            async () => (await OrbitMeshProcess.RunAsync("agents", "list", "--server", _url, "--api-key", key)).ExitCode != 0,
            "the brief API key to expire",
            TimeSpan.FromSeconds(30));

        var table = await OrbitMeshProcess.RunWithAsync(Root, null, "api-keys", "list", "--server", _url);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("EXPIRES", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, line => line.Contains("brief", StringComparison.Ordinal) && line.Contains("expired 20", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("hour", StringComparison.Ordinal) && !line.Contains("expired", StringComparison.Ordinal) && !line.Contains("never", StringComparison.Ordinal));
    }

    private JsonElement Saved() =>
        JsonDocument.Parse(File.ReadAllText(CredentialsPath)).RootElement.GetProperty("servers").GetProperty(_url + "/").Clone();

    private async Task StartServerAsync(params string[] extra)
    {
        _url = $"http://127.0.0.1:{FreePort.Next()}";
        _server = OrbitMeshProcess.Start(["server", "--urls", _url, "--data", _data, "--agent-token", "cli-token", "--log-level", "Warning", .. extra]);
        await Wait.UntilAsync(() => _server.StdoutSoFar.Contains("listening on", StringComparison.Ordinal), "the server to start");
    }
}
