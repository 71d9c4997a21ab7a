using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Server;

/// <summary>
/// A data directory the server cannot write refuses the start with a clear message; the server never
/// falls back to another place or recreates the database. The server runs as an unprivileged user
/// (root ignores file permissions): as <c>nobody</c> through <c>setpriv</c> when the tests run as root.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReadOnlyDataTests(ITestOutputHelper output)
{
    private const int Nobody = 65534;

    [Fact]
    public async Task EmptyReadOnlyDirectory_ServerRefusesToStart()
    {
        await using var mesh = new MeshProcesses(output);
        var data = Directory.CreateDirectory(Path.Combine(mesh.DataDirectory, "read-only")).FullName;
        File.SetUnixFileMode(data, ReadOnlyDirectory);
        try
        {
            var error = await RefusedStartAsync(mesh, data, "the server to refuse a read-only data directory");

            Assert.Contains(Path.Combine(data, "orbitmesh.db"), error, StringComparison.Ordinal);
            Assert.Contains("writable", error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(data));
        }
        finally
        {
            File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task ExistingDatabaseMadeReadOnly_ServerRefusesToStart_AndLeavesItAsItWas()
    {
        await using var mesh = new MeshProcesses(output);
        var data = Directory.CreateDirectory(Path.Combine(mesh.DataDirectory, "existing")).FullName;
        var db = Path.Combine(data, "orbitmesh.db");

        // A server that ran here once: the database exists with its schema.
        var first = await mesh.StartServerAsync(extraArguments: ["--data", data]);
        await first.Process.SignalAsync("TERM");
        Assert.Equal(0, await first.Process.WaitForExitAsync("the first server to stop cleanly"));
        var before = File.ReadAllBytes(db);

        foreach (var file in Directory.GetFiles(data))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        File.SetUnixFileMode(data, ReadOnlyDirectory);
        try
        {
            var error = await RefusedStartAsync(mesh, data, "the server to refuse a read-only database");

            Assert.Contains(db, error, StringComparison.Ordinal);
            Assert.Contains("writ", error, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllBytes(db));
        }
        finally
        {
            File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static UnixFileMode ReadOnlyDirectory =>
        UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Starts the server unprivileged on <paramref name="data"/>, expects it to exit non-zero without listening, and returns its one error line.</summary>
    private async Task<string> RefusedStartAsync(MeshProcesses mesh, string data, string because)
    {
        await using var server = StartUnprivileged(mesh, data);
        var exitCode = await server.WaitForExitAsync(because, TimeSpan.FromSeconds(30));

        Assert.True(exitCode != 0, server.Describe());
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains("listening on", StringComparison.Ordinal));
        return Assert.Single(server.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
    }

    /// <summary><c>orbitmesh server --data DIR</c> as a user that file permissions apply to.</summary>
    private CliProcess StartUnprivileged(MeshProcesses mesh, string data)
    {
        string[] arguments = ["server", "--urls", "http://127.0.0.1:0", "--data", data, "--agent-token", mesh.Token];
        if (!IsRoot())
        {
            return mesh.Start("server-readonly", arguments);
        }

        // The parent directories must be reachable by that user.
        for (var dir = Path.GetDirectoryName(data); dir is not null && dir != Path.GetTempPath().TrimEnd('/'); dir = Path.GetDirectoryName(dir))
        {
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute | UnixFileMode.OtherRead);
        }

        return CliProcess.StartProgram(
            "server-as-nobody",
            "setpriv",
            [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", CliProcess.DotnetHost, MeshProcesses.CliDll, .. arguments],
            Path.GetDirectoryName(MeshProcesses.CliDll)!,
            output,
            new Dictionary<string, string?> { ["HOME"] = Path.GetTempPath(), ["DOTNET_CLI_HOME"] = Path.GetTempPath() });
    }

    private static bool IsRoot() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
}
