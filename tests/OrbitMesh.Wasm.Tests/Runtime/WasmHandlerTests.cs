using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Wasm.Tests.Runtime;

public sealed class WasmHandlerTests : IDisposable
{
    private readonly InMemoryModuleSource _source = new();
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();
    private readonly string _directory = Directory.CreateTempSubdirectory("orbitmesh-wasm-").FullName;
    private WasmRuntime? _runtime;

    private WasmRuntime Runtime(Action<WasmOptions>? configure = null)
    {
        var options = new WasmOptions();
        configure?.Invoke(options);
        _runtime = new WasmRuntime(_source, options);
        return _runtime;
    }

    private MeshCommand Command(string command, string? parametersJson = null, List<(double?, string?)>? progress = null) =>
        new(command, parametersJson is null ? null : JsonDocument.Parse(parametersJson).RootElement.Clone(), _services)
        {
            ProgressSink = (percent, message, _) =>
            {
                progress?.Add((percent, message));
                return Task.CompletedTask;
            },
        };

    private static string Json(object? value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task ExecuteAsync_PureFunction_ReturnsItsJsonResult()
    {
        _source.Add("square", "1", WatModules.Square);
        var runtime = Runtime();

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "12"), CancellationToken.None);

        Assert.Equal("144", Json(result));
    }

    [Fact]
    public async Task ExecuteAsync_SameModuleTwice_DownloadsAndCompilesOnce()
    {
        _source.Add("square", "1", WatModules.Square);
        var runtime = Runtime();

        var first = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "3"), CancellationToken.None);
        var second = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "4"), CancellationToken.None);

        Assert.Equal("9", Json(first));
        Assert.Equal("16", Json(second));
        Assert.Equal(1, _source.DownloadCount);
        Assert.Equal(1, _source.Resolves);
        Assert.Equal(1, runtime.CompiledModules);
    }

    [Fact]
    public async Task ExecuteAsync_NoVersion_RunsTheNewest()
    {
        _source.Add("square", "1", WatModules.Echo);
        _source.Add("square", "2", WatModules.Square);
        var runtime = Runtime();

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:square", "5"), CancellationToken.None);

        Assert.Equal("25", Json(result));
    }

    [Fact]
    public async Task StreamAsync_StreamingModule_YieldsItemsThenResultAndReportsProgress()
    {
        _source.Add("counter", "1", WatModules.Stream);
        var runtime = Runtime();
        var progress = new List<(double?, string?)>();

        var items = new List<string>();
        await foreach (var item in runtime.Handler.StreamAsync(Command("wasm:counter@1", null, progress), CancellationToken.None))
        {
            items.Add(Json(item));
        }

        Assert.Equal(["1", "2", "3", "\"done\""], items);
        Assert.Equal([(33d, "step"), (66d, "step"), (99d, "step")], progress.Select(p => (p.Item1, p.Item2)).ToList());
    }

    [Fact]
    public async Task ExecuteAsync_StreamingModule_ReturnsResultNotItems()
    {
        _source.Add("counter", "1", WatModules.Stream);
        var runtime = Runtime();

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:counter@1"), CancellationToken.None);

        Assert.Equal("\"done\"", Json(result));
    }

    [Fact]
    public async Task ExecuteAsync_InfiniteLoop_StoppedWhenFuelRunsOut()
    {
        _source.Add("loop", "1", WatModules.InfiniteLoop);
        var runtime = Runtime(o => o.MaxFuel = 50_000_000);

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:loop@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.OutOfFuel, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_InfiniteLoop_StoppedAtWallTimeLimit()
    {
        _source.Add("loop", "1", WatModules.InfiniteLoop);
        var runtime = Runtime(o => o.MaxWallTime = TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => Wait.ForAsync(runtime.Handler.ExecuteAsync(Command("wasm:loop@1"), CancellationToken.None), "the loop to be stopped"));

        Assert.Equal(WasmErrorCodes.WallTimeExceeded, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_JobLowersTheFuelLimit_LoopStoppedAtTheLowerLimit()
    {
        _source.Add("loop", "1", WatModules.InfiniteLoop);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() =>
            Wait.ForAsync(runtime.Handler.ExecuteAsync(Command("wasm:loop@1", """{"$wasm":{"maxFuel":1000000}}"""), CancellationToken.None), "the loop to run out of fuel"));

        Assert.Equal(WasmErrorCodes.OutOfFuel, error.Code);
        Assert.Contains("1000000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_Cancelled_StopsTheModule()
    {
        _source.Add("loop", "1", WatModules.InfiniteLoop);
        var runtime = Runtime();
        using var cancellation = new CancellationTokenSource();

        var run = runtime.Handler.ExecuteAsync(Command("wasm:loop@1"), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(run, "the cancelled module to stop"));
    }

    [Fact]
    public async Task ExecuteAsync_MemoryBomb_GrowthRefusedAtTheLimit()
    {
        _source.Add("bomb", "1", WatModules.MemoryBomb);
        var runtime = Runtime(o => o.MaxMemoryBytes = 4 * 1024 * 1024);

        var pages = await runtime.Handler.ExecuteAsync(Command("wasm:bomb@1"), CancellationToken.None);

        // 4 MiB is 64 pages of 64 KiB: every grow past them returned -1.
        Assert.Equal("64", Json(pages));
    }

    [Fact]
    public async Task ExecuteAsync_DefaultMemoryLimit_Is64MiB()
    {
        _source.Add("bomb", "1", WatModules.MemoryBomb);
        var runtime = Runtime();

        var pages = await runtime.Handler.ExecuteAsync(Command("wasm:bomb@1"), CancellationToken.None);

        Assert.Equal("1024", Json(pages));
    }

    [Fact]
    public async Task ExecuteAsync_InitialMemoryAboveLimit_Refused()
    {
        _source.Add("big", "1", WatModules.LargeInitialMemory);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:big@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.MemoryLimit, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_FileReadWithoutGrant_FailsNotAllowed()
    {
        var secret = Path.Combine(_directory, "secret.json");
        await File.WriteAllTextAsync(secret, "{\"secret\":1}");
        _source.Add("reader", "1", WatModules.ReadFile);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshAccessDeniedException>(() => runtime.Handler.ExecuteAsync(Command("wasm:reader@1", Json(secret)), CancellationToken.None));

        Assert.Equal(MeshErrorCodes.NotAllowed, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_FileReadOutsideAllowList_FailsNotAllowed()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_directory, "allowed")).FullName;
        var secret = Path.Combine(_directory, "secret.json");
        await File.WriteAllTextAsync(secret, "{\"secret\":1}");
        _source.Add("reader", "1", WatModules.ReadFile);
        var runtime = Runtime(o => o.Files = new PathAllowList([allowed]));

        var outside = await Assert.ThrowsAsync<MeshAccessDeniedException>(() => runtime.Handler.ExecuteAsync(Command("wasm:reader@1", Json(secret)), CancellationToken.None));
        var traversal = await Assert.ThrowsAsync<MeshAccessDeniedException>(() =>
            runtime.Handler.ExecuteAsync(Command("wasm:reader@1", Json(Path.Combine(allowed, "..", "secret.json"))), CancellationToken.None));

        Assert.Equal(MeshErrorCodes.NotAllowed, outside.Code);
        Assert.Equal(MeshErrorCodes.NotAllowed, traversal.Code);
    }

    [Fact]
    public async Task ExecuteAsync_FileReadInsideAllowList_ReturnsTheContent()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_directory, "allowed")).FullName;
        await File.WriteAllTextAsync(Path.Combine(allowed, "data.json"), "{\"ok\":true}");
        _source.Add("reader", "1", WatModules.ReadFile);
        var runtime = Runtime(o => o.Files = new PathAllowList([allowed]));

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:reader@1", Json(Path.Combine(allowed, "data.json"))), CancellationToken.None);

        Assert.Equal("{\"ok\":true}", Json(result));
    }

    [Fact]
    public async Task ExecuteAsync_ClockWithoutGrant_FailsNotAllowed()
    {
        _source.Add("clock", "1", WatModules.Clock);
        var denied = Runtime();

        var error = await Assert.ThrowsAsync<MeshAccessDeniedException>(() => denied.Handler.ExecuteAsync(Command("wasm:clock@1"), CancellationToken.None));

        Assert.Equal(MeshErrorCodes.NotAllowed, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_ClockGranted_ReturnsTheTime()
    {
        _source.Add("clock", "1", WatModules.Clock);
        var runtime = Runtime(o => o.AllowClock = true);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:clock@1"), CancellationToken.None);

        Assert.InRange(((JsonElement)result!).GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task ExecuteAsync_TamperedModule_RefusedForDigestMismatch()
    {
        var other = WatCompiler.ToBinary(WatModules.InfiniteLoop);
        _source.Add("square", "1", WatModules.Square, servedInstead: other);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:square@1", "2"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.DigestMismatch, error.Code);
        Assert.Equal(0, runtime.CompiledModules);
    }

    [Fact]
    public async Task ExecuteAsync_CachedOnDiskAndTamperedThere_DownloadsAgain()
    {
        _source.Add("square", "1", WatModules.Square);
        var cache = Path.Combine(_directory, "cache");
        using (var first = new WasmRuntime(_source, new WasmOptions { CacheDirectory = cache }))
        {
            Assert.Equal("4", Json(await first.Handler.ExecuteAsync(Command("wasm:square@1", "2"), CancellationToken.None)));
        }

        var file = Assert.Single(Directory.GetFiles(cache, "*.wasm"));
        await File.WriteAllBytesAsync(file, WatCompiler.ToBinary(WatModules.InfiniteLoop));
        var runtime = Runtime(o => o.CacheDirectory = cache);

        var result = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "3"), CancellationToken.None);

        Assert.Equal("9", Json(result));
        Assert.Equal(2, _source.DownloadCount);
    }

    [Fact]
    public async Task ExecuteAsync_CachedOnDisk_NextRuntimeDoesNotDownload()
    {
        _source.Add("square", "1", WatModules.Square);
        var cache = Path.Combine(_directory, "cache");
        using (var first = new WasmRuntime(_source, new WasmOptions { CacheDirectory = cache }))
        {
            await first.Handler.ExecuteAsync(Command("wasm:square@1", "2"), CancellationToken.None);
        }

        var runtime = Runtime(o => o.CacheDirectory = cache);
        var result = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "5"), CancellationToken.None);

        Assert.Equal("25", Json(result));
        Assert.Equal(1, _source.DownloadCount);
    }

    [Fact]
    public async Task ExecuteAsync_OutputBomb_StoppedAtOutputLimit()
    {
        _source.Add("chatty", "1", WatModules.Chatty);
        var runtime = Runtime(o => o.MaxOutputBytes = 10_000);

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => Wait.ForAsync(runtime.Handler.ExecuteAsync(Command("wasm:chatty@1"), CancellationToken.None), "the output limit"));

        Assert.Equal(WasmErrorCodes.OutputLimit, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_ResultNotJson_FailsInvalidOutput()
    {
        _source.Add("bad", "1", WatModules.BadJson);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:bad@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.InvalidOutput, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_ModuleCallsFail_FailsWithItsMessage()
    {
        _source.Add("fails", "1", WatModules.Fails);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:fails@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.Trap, error.Code);
        Assert.Contains("bad input", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_ModuleImportsWasi_RefusedAsInvalid()
    {
        _source.Add("wasi", "1", WatModules.ImportsWasi);
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:wasi@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.InvalidModule, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_UnknownModule_FailsNotFound()
    {
        var runtime = Runtime();

        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => runtime.Handler.ExecuteAsync(Command("wasm:missing@1"), CancellationToken.None));

        Assert.Equal(WasmErrorCodes.ModuleNotFound, error.Code);
    }

    [Fact]
    public async Task ExecuteAsync_AfterALoopWasStopped_OtherJobsStillRun()
    {
        _source.Add("loop", "1", WatModules.InfiniteLoop);
        _source.Add("square", "1", WatModules.Square);
        var runtime = Runtime(o => o.MaxWallTime = TimeSpan.FromMilliseconds(300));

        var loop = runtime.Handler.ExecuteAsync(Command("wasm:loop@1"), CancellationToken.None);
        var square = await Wait.ForAsync(runtime.Handler.ExecuteAsync(Command("wasm:square@1", "7"), CancellationToken.None), "the square while the loop runs");
        var error = await Assert.ThrowsAsync<MeshHandlerException>(() => Wait.ForAsync(loop, "the loop to be stopped"));
        var after = await runtime.Handler.ExecuteAsync(Command("wasm:square@1", "8"), CancellationToken.None);

        Assert.Equal("49", Json(square));
        Assert.Equal(WasmErrorCodes.WallTimeExceeded, error.Code);
        Assert.Equal("64", Json(after));
    }

    public void Dispose()
    {
        _runtime?.Dispose();
        _services.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
