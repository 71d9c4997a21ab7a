using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Cli.Handlers;

namespace OrbitMesh.Cli.Tests.Handlers;

/// <summary>The built-in handlers, called directly and through a real agent and server.</summary>
public sealed class BuiltInHandlersTests(BuiltInAgentFixture fixture) : IClassFixture<BuiltInAgentFixture>
{
    private static readonly IServiceProvider Services = new ServiceCollection().BuildServiceProvider();

    private IMeshClient Mesh => fixture.Server.Mesh;

    private static MeshCommand Command(string name, object? parameters) =>
        new(name, OrbitMeshJson.ToElement(parameters), Services);

    private static async Task<List<int>> CollectAsync(IAsyncEnumerable<object?> items, int? take = null)
    {
        var collected = new List<int>();
        await foreach (var item in items)
        {
            collected.Add((int)item!);
            if (collected.Count == take)
            {
                break;
            }
        }

        return collected;
    }

    [Fact]
    public void AddBuiltInHandlers_RegistersTheBuiltInCommands()
    {
        Assert.Equal(["echo", "sleep", "stream.count", "stream.echo", "system.info"], fixture.Agent.Commands.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Echo_ReturnsItsParameters()
    {
        var echoed = await Mesh.InvokeAsync<JsonElement>(fixture.AgentId, "echo", new { greeting = "hello", n = 42, nested = new { list = new[] { 1, 2 } } });

        Assert.Equal("""{"greeting":"hello","n":42,"nested":{"list":[1,2]}}""", echoed.GetRawText());
    }

    [Fact]
    public async Task Echo_NonObjectParameters_AreReturnedAsTheyAre()
    {
        var text = await Mesh.InvokeAsync<string>(fixture.AgentId, "echo", "text");
        var numbers = await Mesh.InvokeAsync<int[]>(fixture.AgentId, "echo", new[] { 3, 2, 1 });

        Assert.Equal("text", text);
        Assert.Equal([3, 2, 1], numbers!);
    }

    [Fact]
    public async Task Echo_NoParameters_ReturnsNull()
    {
        Assert.Null(await Mesh.InvokeAsync<object>(fixture.AgentId, "echo"));
    }

    [Fact]
    public async Task Sleep_HonoursMs()
    {
        var watch = Stopwatch.StartNew();

        var result = await Mesh.InvokeAsync<JsonElement>(fixture.AgentId, "sleep", new { ms = 200 });

        Assert.True(watch.ElapsedMilliseconds >= 190, $"returned after {watch.ElapsedMilliseconds} ms");
        Assert.InRange(result.GetProperty("sleptMs").GetInt64(), 190, 10_000);
    }

    [Fact]
    public async Task Sleep_Zero_ReturnsAtOnce()
    {
        var result = await BuiltInHandlers.SleepAsync(Command("sleep", new { ms = 0 }), CancellationToken.None);

        Assert.InRange(OrbitMeshJson.ToElement(result)!.Value.GetProperty("sleptMs").GetInt64(), 0, 1000);
    }

    [Fact]
    public async Task Sleep_NoMs_SleepsOneSecond()
    {
        var watch = Stopwatch.StartNew();

        var result = OrbitMeshJson.ToElement(await BuiltInHandlers.SleepAsync(Command("sleep", null), CancellationToken.None))!.Value;

        Assert.True(watch.ElapsedMilliseconds >= 990, $"returned after {watch.ElapsedMilliseconds} ms");
        Assert.InRange(result.GetProperty("sleptMs").GetInt64(), 990, 20_000);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(BuiltInHandlers.MaxSleepMs + 1)]
    [InlineData(int.MinValue)]
    public async Task Sleep_OutOfRange_ThrowsMeshParameterException(int ms)
    {
        var error = await Assert.ThrowsAsync<MeshParameterException>(() => BuiltInHandlers.SleepAsync(Command("sleep", new { ms }), CancellationToken.None));

        Assert.Equal($"'ms' must be between 0 and 86400000; it was {ms}.", error.Message);
    }

    [Fact]
    public async Task Sleep_OutOfRangeThroughTheMesh_IsInvalidParameters()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>(fixture.AgentId, "sleep", new { ms = -5 }));

        Assert.Equal(MeshErrorCodes.InvalidParameters, error.Code);
        Assert.Contains("'ms' must be between 0 and", error.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sleep_NotANumber_IsInvalidParameters()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>(fixture.AgentId, "sleep", new { ms = "long" }));

        Assert.Equal(MeshErrorCodes.InvalidParameters, error.Code);
    }

    [Fact]
    public async Task Sleep_MaxMs_IsAcceptedAndCancellable()
    {
        using var cts = new CancellationTokenSource();
        var sleeping = BuiltInHandlers.SleepAsync(Command("sleep", new { ms = BuiltInHandlers.MaxSleepMs }), cts.Token);
        Assert.False(sleeping.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(sleeping, "the sleep to be cancelled"));
    }

    [Fact]
    public async Task Sleep_Cancelled_StopsPromptly()
    {
        using var cts = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var sleeping = BuiltInHandlers.SleepAsync(Command("sleep", new { ms = 60_000 }), cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(sleeping, "the sleep to be cancelled"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Sleep_WithACallerTimeout_TimesOut()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() =>
            Mesh.InvokeAsync<object>(fixture.AgentId, "sleep", new { ms = 30_000 }, TimeSpan.FromMilliseconds(200)));

        Assert.Equal(MeshErrorCodes.Timeout, error.Code);
        await Wait.UntilAsync(() => fixture.Agent.ActiveJobs == 0, "the agent to cancel the sleep");
    }

    [Fact]
    public async Task SystemInfo_HasTheDocumentedFields()
    {
        var info = await Mesh.InvokeAsync<JsonElement>(fixture.AgentId, "system.info");

        Assert.Equal(
            ["architecture", "host", "os", "processWorkingSetBytes", "processorCount", "runtime", "totalMemoryBytes", "uptimeSeconds"],
            info.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Environment.MachineName, info.GetProperty("host").GetString());
        Assert.False(string.IsNullOrWhiteSpace(info.GetProperty("os").GetString()));
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString(), info.GetProperty("architecture").GetString());
        Assert.Equal(Environment.ProcessorCount, info.GetProperty("processorCount").GetInt32());
        Assert.True(info.GetProperty("totalMemoryBytes").GetInt64() > 0);
        Assert.True(info.GetProperty("processWorkingSetBytes").GetInt64() > 0);
        Assert.StartsWith(".NET", info.GetProperty("runtime").GetString(), StringComparison.Ordinal);
        Assert.True(info.GetProperty("uptimeSeconds").GetInt64() >= 0);
    }

    [Fact]
    public async Task StreamCount_YieldsOneToN()
    {
        var five = await Mesh.InvokeAsync<int[]>(fixture.AgentId, "stream.count", new { n = 5 });
        var byDefault = await CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", null), CancellationToken.None));
        var none = await CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", new { n = 0 }), CancellationToken.None));

        Assert.Equal([1, 2, 3, 4, 5], five!);
        Assert.Equal(Enumerable.Range(1, 10), byDefault);
        Assert.Empty(none);
    }

    [Fact]
    public async Task StreamCount_MaxN_IsAccepted()
    {
        var first = await CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", new { n = BuiltInHandlers.MaxStreamCount }), CancellationToken.None), take: 3);

        Assert.Equal([1, 2, 3], first);
    }

    [Fact]
    public async Task StreamCount_WithDelay_PacesTheItems()
    {
        var watch = Stopwatch.StartNew();

        var items = await CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", new { n = 3, delayMs = 60 }), CancellationToken.None));

        Assert.Equal([1, 2, 3], items);
        Assert.True(watch.ElapsedMilliseconds >= 170, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(BuiltInHandlers.MaxStreamCount + 1)]
    public async Task StreamCount_NOutOfRange_ThrowsMeshParameterException(int n)
    {
        var error = await Assert.ThrowsAsync<MeshParameterException>(() => CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", new { n }), CancellationToken.None)));

        Assert.Equal($"'n' must be between 0 and 1000000; it was {n}.", error.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(60_001)]
    public async Task StreamCount_DelayOutOfRange_ThrowsMeshParameterException(int delayMs)
    {
        var error = await Assert.ThrowsAsync<MeshParameterException>(() => CollectAsync(BuiltInHandlers.CountAsync(Command("stream.count", new { n = 1, delayMs }), CancellationToken.None)));

        Assert.Equal($"'delayMs' must be between 0 and 60000; it was {delayMs}.", error.Message);
    }

    [Fact]
    public async Task StreamCount_InvalidThroughTheMesh_IsInvalidParameters()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<int[]>(fixture.AgentId, "stream.count", new { n = -3 }));

        Assert.Equal(MeshErrorCodes.InvalidParameters, error.Code);
    }

    [Fact]
    public async Task StreamCount_Cancelled_StopsDuringADelay()
    {
        using var cts = new CancellationTokenSource();
        var enumerator = BuiltInHandlers.CountAsync(Command("stream.count", new { n = 1000, delayMs = 60_000 }), CancellationToken.None).GetAsyncEnumerator(cts.Token);
        var moving = enumerator.MoveNextAsync().AsTask();
        Assert.False(moving.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(moving, "the delayed item to be cancelled"));
        await enumerator.DisposeAsync();
    }

    [Fact]
    public async Task StreamCount_Cancelled_StopsBetweenItems()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<int>();

        var error = await Record.ExceptionAsync(async () =>
        {
            await foreach (var item in BuiltInHandlers.CountAsync(Command("stream.count", new { n = 1_000_000 }), cts.Token))
            {
                seen.Add((int)item!);
                if (seen.Count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal([1, 2, 3], seen);
    }
}
