using System.Diagnostics;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Grid.Tests.Star;

/// <summary>
/// Every way out of the allowed root, tried on a jailed <see cref="LocalSystem"/> and on a star through the
/// mesh (the control path): each operation is refused, and nothing outside is read or written.
/// </summary>
[Collection(nameof(StarsCollection))]
public sealed class JailTests(StarsFixture stars)
{
    public static TheoryData<string> Modes => ["local", "star"];

    private IOrbitSystem System(string mode) => mode == "local" ? new LocalSystem(new PathAllowList([stars.RootA])) : stars.StarA;

    private static async Task AssertRefusedAsync(string code, Func<Task> operation)
    {
        var ex = await Assert.ThrowsAnyAsync<OrbitMeshException>(operation);
        Assert.Equal(code, ex.Code);
    }

    private static async Task AssertEveryOperationRefusedAsync(IOrbitSystem system, string path, string code)
    {
        await AssertRefusedAsync(code, () => system.HashRangeAsync(path));
        await AssertRefusedAsync(code, () => system.ReadHeaderAsync(path, 16));
        await AssertRefusedAsync(code, () => system.OpenReadAsync(path));
        await AssertRefusedAsync(code, () => system.GetEntryAsync(path));
        await AssertRefusedAsync(code, () => system.OpenWriteAsync(path));
        await AssertRefusedAsync(code, async () => await system.ScanDirectoryAsync(path).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task DotDot_OutOfTheRoot_IsRefused(string mode)
    {
        await AssertEveryOperationRefusedAsync(System(mode), "../outside/secret.txt", MeshErrorCodes.NotAllowed);
        await AssertEveryOperationRefusedAsync(System(mode), stars.RootA + "/sub/../../outside/secret.txt", MeshErrorCodes.NotAllowed);
        Assert.Equal("secret", await File.ReadAllTextAsync(Path.Combine(stars.Outside, "secret.txt")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task AbsolutePathOutside_IsRefused(string mode)
    {
        await AssertEveryOperationRefusedAsync(System(mode), Path.Combine(stars.Outside, "secret.txt"), MeshErrorCodes.NotAllowed);
        await AssertEveryOperationRefusedAsync(System(mode), "/etc/passwd", MeshErrorCodes.NotAllowed);
        await AssertEveryOperationRefusedAsync(System(mode), stars.RootB, MeshErrorCodes.NotAllowed);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task SymbolicLinksOut_AreRefused(string mode)
    {
        var directoryLink = Path.Combine(stars.RootA, $"dirlink-{mode}");
        var fileLink = Path.Combine(stars.RootA, $"filelink-{mode}.txt");
        File.CreateSymbolicLink(directoryLink, stars.Outside);
        File.CreateSymbolicLink(fileLink, Path.Combine(stars.Outside, "secret.txt"));

        await AssertEveryOperationRefusedAsync(System(mode), $"dirlink-{mode}/secret.txt", MeshErrorCodes.NotAllowed);
        await AssertEveryOperationRefusedAsync(System(mode), $"filelink-{mode}.txt", MeshErrorCodes.NotAllowed);
        await AssertRefusedAsync(MeshErrorCodes.NotAllowed, async () => await System(mode).ScanDirectoryAsync($"dirlink-{mode}").ToListAsync());
        Assert.Equal("secret", await File.ReadAllTextAsync(Path.Combine(stars.Outside, "secret.txt")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task NulBytes_AreRefused(string mode) =>
        await AssertEveryOperationRefusedAsync(System(mode), "ok.txt\0../../outside/secret.txt", MeshErrorCodes.InvalidParameters);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task OverLongPaths_AreRefused(string mode)
    {
        await AssertEveryOperationRefusedAsync(System(mode), string.Join('/', Enumerable.Repeat("abcdefgh", 600)), MeshErrorCodes.InvalidParameters);
        await AssertEveryOperationRefusedAsync(System(mode), new string('x', 300) + ".txt", MeshErrorCodes.InvalidParameters);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task HardLinkToAFileOutside_IsRefused(string mode)
    {
        var link = Path.Combine(stars.RootA, $"hard-{mode}.txt");
        await RunAsync("ln", Path.Combine(stars.Outside, "secret.txt"), link);

        await AssertRefusedAsync(MeshErrorCodes.NotAllowed, () => System(mode).HashRangeAsync(link));
        await AssertRefusedAsync(MeshErrorCodes.NotAllowed, () => System(mode).OpenReadAsync(link));
        await AssertRefusedAsync(MeshErrorCodes.NotAllowed, () => System(mode).OpenWriteAsync(link));
        Assert.Equal("secret", await File.ReadAllTextAsync(Path.Combine(stars.Outside, "secret.txt")));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Fifo_IsRefusedInsteadOfBlocking(string mode)
    {
        var fifo = Path.Combine(stars.RootA, $"fifo-{mode}");
        await RunAsync("mkfifo", fifo);

        await AssertRefusedAsync(MeshErrorCodes.InvalidParameters, () => System(mode).HashRangeAsync(fifo));
        await AssertRefusedAsync(MeshErrorCodes.InvalidParameters, () => System(mode).ReadHeaderAsync(fifo, 4));
        Assert.Equal(GridEntryKind.Other, (await System(mode).GetEntryAsync(fifo))!.Kind);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task InsideTheRoot_RelativeAndAbsolute_Work(string mode)
    {
        var file = Path.Combine(stars.RootA, $"inside-{mode}.txt");
        await File.WriteAllTextAsync(file, "inside");

        Assert.Equal(6, (await System(mode).HashRangeAsync($"inside-{mode}.txt")).Length);
        Assert.Equal("inside"u8.ToArray(), await System(mode).ReadHeaderAsync(file, 100));
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
