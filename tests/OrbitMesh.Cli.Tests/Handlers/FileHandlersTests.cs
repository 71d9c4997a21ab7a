using System.Text.Json;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Cli.Handlers;

namespace OrbitMesh.Cli.Tests.Handlers;

/// <summary>file.read, file.write and file.list reach only paths under --allow-path.</summary>
public sealed class FileHandlersTests : IDisposable
{
    private static readonly IServiceProvider Services = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(new Microsoft.Extensions.DependencyInjection.ServiceCollection());
    private readonly string _base = Directory.CreateTempSubdirectory("orbitmesh-files-").FullName;
    private readonly PathAllowList _allowList;

    public FileHandlersTests()
    {
        Directory.CreateDirectory(Path.Combine(_base, "allowed"));
        Directory.CreateDirectory(Path.Combine(_base, "outside"));
        File.WriteAllText(Path.Combine(_base, "outside", "secret.txt"), "secret");
        _allowList = new PathAllowList([Path.Combine(_base, "allowed")]);
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    private static MeshCommand Command(string name, object parameters) => new(name, JsonSerializer.SerializeToElement(parameters), Services);

    [Fact]
    public async Task WriteReadList_InsideTheAllowedDirectory_Work()
    {
        await FileHandlers.WriteAsync(_allowList, Command("file.write", new { path = "notes/today.txt", content = "hello" }), CancellationToken.None);

        var read = JsonSerializer.SerializeToElement(await FileHandlers.ReadAsync(_allowList, Command("file.read", new { path = "notes/today.txt" }), CancellationToken.None));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(read.GetProperty("contentBase64").GetString()!)));
        var list = JsonSerializer.SerializeToElement(FileHandlers.List(_allowList, Command("file.list", new { path = "notes" })));
        var entry = Assert.Single(list.GetProperty("entries").EnumerateArray());
        Assert.Equal("today.txt", entry.GetProperty("name").GetString());
        Assert.Equal(5, entry.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task EveryHandler_RefusesTraversalAndSymlinkEscapes_AndTouchesNothing()
    {
        Directory.CreateSymbolicLink(Path.Combine(_base, "allowed", "escape"), Path.Combine(_base, "outside"));

        foreach (var path in new[] { "../outside/secret.txt", "escape/secret.txt", Path.Combine(_base, "outside", "secret.txt") })
        {
            await Assert.ThrowsAsync<MeshAccessDeniedException>(() => FileHandlers.ReadAsync(_allowList, Command("file.read", new { path }), CancellationToken.None));
            await Assert.ThrowsAsync<MeshAccessDeniedException>(() => FileHandlers.WriteAsync(_allowList, Command("file.write", new { path, content = "pwned" }), CancellationToken.None));
        }

        Assert.Throws<MeshAccessDeniedException>(() => FileHandlers.List(_allowList, Command("file.list", new { path = "escape" })));
        Assert.Throws<MeshAccessDeniedException>(() => FileHandlers.List(_allowList, Command("file.list", new { path = ".." })));
        Assert.Equal("secret", File.ReadAllText(Path.Combine(_base, "outside", "secret.txt")));
        Assert.Equal(["secret.txt"], Directory.GetFiles(Path.Combine(_base, "outside")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task HardLinkToAFileOutside_IsNeitherReadNorOverwritten()
    {
        Run("ln", Path.Combine(_base, "outside", "secret.txt"), Path.Combine(_base, "allowed", "innocent.txt"));

        var read = await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.ReadAsync(_allowList, Command("file.read", new { path = "innocent.txt" }), CancellationToken.None));
        var write = await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.WriteAsync(_allowList, Command("file.write", new { path = "innocent.txt", content = "pwned" }), CancellationToken.None));

        Assert.Contains("has 2 hard links", read.Message, StringComparison.Ordinal);
        Assert.Contains("has 2 hard links", write.Message, StringComparison.Ordinal);
        Assert.Equal("secret", File.ReadAllText(Path.Combine(_base, "outside", "secret.txt")));
    }

    [Fact]
    public async Task Fifo_IsRefusedAtOnce_InsteadOfBlockingTheHandler()
    {
        Run("mkfifo", Path.Combine(_base, "allowed", "pipe"));

        var read = await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.ReadAsync(_allowList, Command("file.read", new { path = "pipe" }), CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));
        var write = await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.WriteAsync(_allowList, Command("file.write", new { path = "pipe", content = "x" }), CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("is a FIFO, not a regular file", read.Message, StringComparison.Ordinal);
        Assert.Contains("is a FIFO, not a regular file", write.Message, StringComparison.Ordinal);
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program}: {process.StandardError.ReadToEnd()}");
    }

    [Fact]
    public async Task TooLargeOrMalformedContent_IsAnInvalidParameter()
    {
        await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.WriteAsync(_allowList, Command("file.write", new { path = "x.bin", contentBase64 = "not base64!" }), CancellationToken.None));
        await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.WriteAsync(_allowList, Command("file.write", new { path = "x.txt", content = new string('a', FileHandlers.MaxBytes + 1) }), CancellationToken.None));
        await Assert.ThrowsAsync<MeshParameterException>(() => FileHandlers.ReadAsync(_allowList, Command("file.read", new { path = "missing.txt" }), CancellationToken.None));
    }
}
