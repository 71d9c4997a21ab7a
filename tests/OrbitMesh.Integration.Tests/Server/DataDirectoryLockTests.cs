using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Server;

/// <summary>
/// A data directory is held by one server at a time: a second server on it is refused (two would each
/// recover the other's leases and run jobs twice), and a killed holder frees it.
/// </summary>
public sealed class DataDirectoryLockTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SecondServerOnTheSameData_IsRefusedNamingTheHolder_AndTheFirstKeepsServing()
    {
        await using var mesh = new MeshProcesses(output);
        var first = await mesh.StartServerAsync();

        var second = mesh.Start("server", "server", "--urls", "http://127.0.0.1:0", "--data", mesh.DataDirectory, "--api-key", MeshProcesses.ApiKey);
        var exitCode = await second.WaitForExitAsync("the second server to be refused", MeshProcesses.StartTimeout);

        Assert.True(exitCode != 0, second.Describe());
        Assert.DoesNotContain(second.StdoutLines, l => l.Contains("listening on", StringComparison.Ordinal));
        var error = Assert.Single(second.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("is in use by another OrbitMesh server", error, StringComparison.Ordinal);
        Assert.Contains($"pid {first.Process.Pid} ", error, StringComparison.Ordinal);

        using var api = new MeshApi(first.Url);
        Assert.NotNull(await api.TryGetAgentsAsync());
    }

    [Fact]
    public async Task HolderKilled_TheDataCanBeOpenedAgain()
    {
        await using var mesh = new MeshProcesses(output);
        var first = await mesh.StartServerAsync();
        await first.Process.KillAsync();

        var second = await mesh.StartServerAsync();

        using var api = new MeshApi(second.Url);
        Assert.NotNull(await api.TryGetAgentsAsync());
    }
}
