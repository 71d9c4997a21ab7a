using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Tests.Handlers;

/// <summary><see cref="HandlerRegistry"/> and the ways a <see cref="HandlerRegistration"/> runs a handler.</summary>
public sealed class HandlerRegistryTests
{
    private static HandlerRegistration Noop() => HandlerRegistration.ForDelegate((_, _) => Task.FromResult<object?>(null));

    private static MeshCommand Command(IServiceProvider services, string name = "test", string? json = null) =>
        new(name, json is null ? null : JsonDocument.Parse(json).RootElement.Clone(), services);

    [Fact]
    public void Add_ValidNames_AreListedAndFound()
    {
        var registry = new HandlerRegistry();
        var echo = Noop();

        registry.Add("echo", echo);
        registry.Add("system.info", Noop());
        registry.Add(new string('c', 128), Noop());

        Assert.Equal(3, registry.Commands.Count);
        Assert.True(registry.TryGet("echo", out var found));
        Assert.Same(echo, found);
        Assert.False(registry.TryGet("missing", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("line\nbreak")]
    [InlineData("nul\u0000")]
    public void Add_InvalidName_ThrowsArgumentException(string? name)
    {
        var registry = new HandlerRegistry();

        var error = Assert.Throws<ArgumentException>(() => registry.Add(name!, Noop()));

        Assert.Equal("command", error.ParamName);
        Assert.Contains("is not a valid command name", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Commands);
    }

    [Fact]
    public void Add_NameOf129Characters_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new HandlerRegistry().Add(new string('c', 129), Noop()));
    }

    [Fact]
    public void Add_Duplicate_ThrowsAndKeepsTheFirst()
    {
        var registry = new HandlerRegistry();
        var first = Noop();
        registry.Add("echo", first);

        var error = Assert.Throws<InvalidOperationException>(() => registry.Add("echo", Noop()));

        Assert.Equal("A handler for 'echo' is already registered.", error.Message);
        Assert.True(registry.TryGet("echo", out var kept));
        Assert.Same(first, kept);
    }

    [Fact]
    public void Add_NamesDifferingInCase_AreDifferentCommands()
    {
        var registry = new HandlerRegistry();

        registry.Add("echo", Noop());
        registry.Add("Echo", Noop());

        Assert.Equal(2, registry.Commands.Count);
        Assert.False(registry.TryGet("ECHO", out _));
    }

    [Fact]
    public async Task ForDelegate_RunsTheLambdaWithTheCommandAndToken()
    {
        using var cts = new CancellationTokenSource();
        MeshCommand? seen = null;
        var token = CancellationToken.None;
        var registration = HandlerRegistration.ForDelegate((command, ct) =>
        {
            seen = command;
            token = ct;
            return Task.FromResult<object?>("done");
        });
        var command = Command(EmptyServices());

        var result = await registration.ExecuteAsync(command, cts.Token);

        Assert.False(registration.IsStream);
        Assert.Equal("done", result);
        Assert.Same(command, seen);
        Assert.Equal(cts.Token, token);
    }

    [Fact]
    public void ForDelegate_StreamAsync_IsRefused()
    {
        var registration = Noop();

        var error = Assert.Throws<InvalidOperationException>(() => registration.StreamAsync(Command(EmptyServices(), "plain"), CancellationToken.None));

        Assert.Equal("'plain' is not a stream handler.", error.Message);
    }

    [Fact]
    public async Task ForStream_CollectsTheItemsIntoAList()
    {
        var registration = HandlerRegistration.ForStream((_, ct) => Count(3, ct));

        var result = await registration.ExecuteAsync(Command(EmptyServices()), CancellationToken.None);

        Assert.True(registration.IsStream);
        Assert.Equal([1, 2, 3], Assert.IsType<List<object?>>(result).Cast<int>());
    }

    [Fact]
    public async Task ForStream_EmptyStream_IsAnEmptyList()
    {
        var registration = HandlerRegistration.ForStream((_, ct) => Count(0, ct));

        Assert.Empty(Assert.IsType<List<object?>>(await registration.ExecuteAsync(Command(EmptyServices()), CancellationToken.None)));
    }

    [Fact]
    public async Task ForStream_ExactlyMaxCollectedItems_IsCollected()
    {
        var registration = HandlerRegistration.ForStream((_, ct) => Count(HandlerRegistration.MaxCollectedItems, ct));

        var result = Assert.IsType<List<object?>>(await registration.ExecuteAsync(Command(EmptyServices()), CancellationToken.None));

        Assert.Equal(100_000, result.Count);
        Assert.Equal(100_000, result[^1]);
    }

    [Fact]
    public async Task ForStream_OneMoreThanMaxCollectedItems_Throws()
    {
        var produced = 0;
        async IAsyncEnumerable<object?> Endless([EnumeratorCancellation] CancellationToken ct = default)
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                produced++;
                yield return produced;
                if (produced % 10_000 == 0)
                {
                    await Task.Yield();
                }
            }
        }

        var registration = HandlerRegistration.ForStream((_, ct) => Endless(ct));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => registration.ExecuteAsync(Command(EmptyServices(), "flood"), CancellationToken.None));

        Assert.Equal("'flood' streamed more than 100000 items; call it as a stream instead.", error.Message);
        Assert.Equal(HandlerRegistration.MaxCollectedItems + 1, produced);
    }

    [Fact]
    public async Task ForStream_Cancelled_StopsCollecting()
    {
        using var cts = new CancellationTokenSource();
        var registration = HandlerRegistration.ForStream((_, ct) => CancelAfter(2, cts, ct));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => registration.ExecuteAsync(Command(EmptyServices()), cts.Token));
    }

    [Fact]
    public void ForType_NotAHandler_ThrowsArgumentException()
    {
        var error = Assert.Throws<ArgumentException>(() => HandlerRegistration.ForType(typeof(Greeter)));

        Assert.Contains("implements neither IMeshHandler nor IMeshStreamHandler", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForType_IsActivatedWithConstructorInjectionFromTheCommandsServices()
    {
        await using var services = new ServiceCollection().AddSingleton(new Greeter("Hello")).BuildServiceProvider();
        var registration = HandlerRegistration.ForType(typeof(GreetingHandler));

        var result = await registration.ExecuteAsync(Command(services, json: """{"name":"Ada"}"""), CancellationToken.None);

        Assert.False(registration.IsStream);
        Assert.Equal("Hello, Ada", result);
    }

    [Fact]
    public async Task ForType_IsANewInstanceForEachExecution()
    {
        var recorder = new Recorder();
        await using var services = new ServiceCollection().AddSingleton(recorder).AddScoped<ScopedResource>().BuildServiceProvider();
        var registration = HandlerRegistration.ForType(typeof(RecordingHandler));

        await using (var first = services.CreateAsyncScope())
        {
            await registration.ExecuteAsync(Command(first.ServiceProvider), CancellationToken.None);
        }

        await using (var second = services.CreateAsyncScope())
        {
            await registration.ExecuteAsync(Command(second.ServiceProvider), CancellationToken.None);
        }

        Assert.Equal(2, recorder.Handlers.Count);
        Assert.NotSame(recorder.Handlers[0], recorder.Handlers[1]);
    }

    [Fact]
    public async Task ForType_TakesScopedServicesFromTheCommandsScope()
    {
        var recorder = new Recorder();
        await using var services = new ServiceCollection().AddSingleton(recorder).AddScoped<ScopedResource>().BuildServiceProvider();
        var registration = HandlerRegistration.ForType(typeof(RecordingHandler));
        await using var scope = services.CreateAsyncScope();

        await registration.ExecuteAsync(Command(scope.ServiceProvider), CancellationToken.None);

        Assert.Same(scope.ServiceProvider.GetRequiredService<ScopedResource>(), Assert.Single(recorder.Resources));
    }

    [Fact]
    public async Task ForType_RegisteredInDependencyInjection_IsResolvedFromIt()
    {
        var recorder = new Recorder();
        await using var services = new ServiceCollection()
            .AddSingleton(recorder)
            .AddScoped<ScopedResource>()
            .AddScoped<RecordingHandler>()
            .BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var registration = HandlerRegistration.ForType(typeof(RecordingHandler));

        await registration.ExecuteAsync(Command(scope.ServiceProvider), CancellationToken.None);

        Assert.Same(scope.ServiceProvider.GetRequiredService<RecordingHandler>(), Assert.Single(recorder.Handlers));
    }

    [Fact]
    public async Task ForType_MissingDependency_ThrowsInvalidOperationException()
    {
        var registration = HandlerRegistration.ForType(typeof(GreetingHandler));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => registration.ExecuteAsync(Command(EmptyServices()), CancellationToken.None));

        Assert.Contains(nameof(Greeter), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForType_StreamHandler_IsCollected()
    {
        var registration = HandlerRegistration.ForType(typeof(CountingStreamHandler));

        var result = await registration.ExecuteAsync(Command(EmptyServices(), json: """{"n":4}"""), CancellationToken.None);

        Assert.True(registration.IsStream);
        Assert.Equal([1, 2, 3, 4], Assert.IsType<List<object?>>(result).Cast<int>());
    }

    [Fact]
    public async Task ForType_BothInterfaces_RunsAsASingleResultHandler()
    {
        var registration = HandlerRegistration.ForType(typeof(BothHandler));

        var result = await registration.ExecuteAsync(Command(EmptyServices()), CancellationToken.None);

        Assert.False(registration.IsStream);
        Assert.Equal("single", result);
    }

    [Fact]
    public async Task ForType_SingleResultHandler_StreamAsync_IsRefused()
    {
        await using var services = new ServiceCollection().AddSingleton(new Greeter("Hi")).BuildServiceProvider();
        var registration = HandlerRegistration.ForType(typeof(GreetingHandler));

        var error = Assert.Throws<InvalidOperationException>(() => registration.StreamAsync(Command(services, "greet"), CancellationToken.None));

        Assert.Equal("'greet' is not a stream handler.", error.Message);
    }

    private static ServiceProvider EmptyServices() => new ServiceCollection().BuildServiceProvider();

    private static async IAsyncEnumerable<object?> Count(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 1; i <= n; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return i;
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<object?> CancelAfter(int n, CancellationTokenSource source, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 1; ; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (i > n)
            {
                await source.CancelAsync();
            }

            yield return i;
        }
    }

    internal sealed record Greeter(string Greeting);

    internal sealed class GreetingHandler(Greeter greeter) : IMeshHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken) =>
            Task.FromResult<object?>($"{greeter.Greeting}, {command.GetParameter("name", "world")}");
    }

    internal sealed class Recorder
    {
        public List<object> Handlers { get; } = [];

        public List<ScopedResource> Resources { get; } = [];
    }

    internal sealed class ScopedResource : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    internal sealed class RecordingHandler(Recorder recorder, ScopedResource resource) : IMeshHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken)
        {
            lock (recorder)
            {
                recorder.Handlers.Add(this);
                recorder.Resources.Add(resource);
            }

            return Task.FromResult<object?>(null);
        }
    }

    internal sealed class CountingStreamHandler : IMeshStreamHandler
    {
        public IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) =>
            Count(command.GetParameter<int>("n"), cancellationToken);
    }

    internal sealed class BothHandler : IMeshHandler, IMeshStreamHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken) => Task.FromResult<object?>("single");

        public IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken) => Count(1, cancellationToken);
    }
}
