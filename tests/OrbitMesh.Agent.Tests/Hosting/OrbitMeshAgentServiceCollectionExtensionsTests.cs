using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Agent.Tests.Hosting;

/// <summary><c>services.AddOrbitMeshAgent(...)</c> in a generic host.</summary>
public sealed class OrbitMeshAgentServiceCollectionExtensionsTests
{
    private static HostApplicationBuilder NewHost(CapturedLogs logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        return builder;
    }

    private static void Configure(MeshAgentOptions o, Uri server, string id)
    {
        o.Server = server;
        o.Token = TestMeshServer.AgentToken;
        o.Id = id;
        o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
        o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
    }

    [Fact]
    public async Task AddOrbitMeshAgent_ConnectsInTheBackgroundAndHandlersGetHostServices()
    {
        await using var server = await TestMeshServer.StartAsync();
        var logs = new CapturedLogs();
        var builder = NewHost(logs);
        builder.Services.AddSingleton(new Greeter("Hello"));
        builder.Services.AddScoped<RequestCounter>();
        builder.Services
            .AddOrbitMeshAgent(o => Configure(o, server.Url, "hosted-1"))
            .AddHandler<GreetingHandler>("greet")
            .AddHandler("whoami", (c, ct) => Task.FromResult<object?>(c.Services.GetRequiredService<IHostEnvironment>().ApplicationName));
        using var host = builder.Build();

        await host.StartAsync();
        await server.WaitForAgentAsync("hosted-1", AgentStatus.Ready);

        var agent = host.Services.GetRequiredService<MeshAgent>();
        await Wait.UntilAsync(() => agent.IsRegistered, "the agent to receive the server's registration answer");
        Assert.Equal(["greet", "whoami"], server.Registry.GetAgent("hosted-1")!.Commands);
        Assert.Equal("Hello, Ada (call 1 in its scope)", await server.Mesh.InvokeAsync<string>("hosted-1", "greet", new { name = "Ada" }));
        Assert.Equal("Hello, Bob (call 1 in its scope)", await server.Mesh.InvokeAsync<string>("hosted-1", "greet", new { name = "Bob" }));
        Assert.Equal(host.Services.GetRequiredService<IHostEnvironment>().ApplicationName, await server.Mesh.InvokeAsync<string>("hosted-1", "whoami"));

        await host.StopAsync();
        await server.WaitForAgentAsync("hosted-1", AgentStatus.Disconnected);
        Assert.False(agent.IsRegistered);
    }

    [Fact]
    public async Task AddOrbitMeshAgent_SynchronousAndStreamLambdas_AreRegisteredLikeTheBuildersOnes()
    {
        await using var server = await TestMeshServer.StartAsync();
        var builder = NewHost(new CapturedLogs());
        builder.Services
            .AddOrbitMeshAgent(o => Configure(o, server.Url, "hosted-sync"))
            .AddHandler("add", c => c.GetParameter<int>("a") + c.GetParameter<int>("b"))
            .AddStreamHandler("count", CountAsync);
        using var host = builder.Build();

        await host.StartAsync();
        await server.WaitForAgentAsync("hosted-sync", AgentStatus.Ready);

        Assert.Equal(5, await server.Mesh.InvokeAsync<int>("hosted-sync", "add", new { a = 2, b = 3 }));
        var items = new List<int>();
        await foreach (var item in server.Mesh.StreamAsync<int>(new JobRequest { Command = "count", Parameters = OrbitMeshJson.ToElement(new { n = 3 }), Pattern = ExecutionPattern.Streaming }))
        {
            items.Add(item);
        }

        Assert.Equal([1, 2, 3], items);
        await host.StopAsync();

        static async IAsyncEnumerable<object?> CountAsync(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 1; i <= command.GetParameter<int>("n"); i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
    }

    [Fact]
    public async Task AddOrbitMeshAgent_ServerNotUpYet_HostStartsAndTheAgentConnectsLater()
    {
        var port = FreePort.Next();
        var logs = new CapturedLogs();
        var builder = NewHost(logs);
        builder.Services.AddOrbitMeshAgent(o => Configure(o, new Uri($"http://127.0.0.1:{port}"), "hosted-late")).AddHandler("ping", (c, ct) => Task.FromResult<object?>("pong"));
        using var host = builder.Build();

        await Wait.ForAsync(host.StartAsync(), "the host to start without waiting for the server");
        await Wait.UntilAsync(() => logs.Contains(3003), "the agent to retry in the background");
        await using var server = await TestMeshServer.StartAsync(port: port);

        await server.WaitForAgentAsync("hosted-late", AgentStatus.Ready);
        Assert.Equal("pong", await server.Mesh.InvokeAsync<string>("hosted-late", "ping"));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddOrbitMeshAgent_InvalidOptions_FailTheHostStart()
    {
        var builder = NewHost(new CapturedLogs());
        builder.Services.AddOrbitMeshAgent(o => o.Id = "no-server");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OrbitMeshException>(() => host.StartAsync());

        Assert.Equal("invalid_options", error.Code);
        Assert.Contains("server URL is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddOrbitMeshAgent_WrongToken_LogsCriticalAndStopsTheHost()
    {
        await using var server = await TestMeshServer.StartAsync();
        var logs = new CapturedLogs();
        var builder = NewHost(logs);
        builder.Services.AddOrbitMeshAgent(o =>
        {
            Configure(o, server.Url, "hosted-badtoken");
            o.Token = "wrong";
        });
        using var host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();

        await host.StartAsync();

        await Wait.UntilAsync(() => logs.Contains(e => e.EventId.Id == 3050 && e.Level == LogLevel.Critical), "the agent to log that it could not connect");
        await Wait.UntilAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, "the host to stop");
        Assert.Contains(logs.Entries, e => e.EventId.Id == 3050 && e.Message.Contains("not known", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public void AddOrbitMeshAgent_InvalidHandlerName_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();

        var agent = services.AddOrbitMeshAgent(o => { });

        Assert.Same(services, agent.Services);
        Assert.Throws<ArgumentException>(() => agent.AddHandler("bad\nname", (c, ct) => Task.FromResult<object?>(null)));
        Assert.Throws<ArgumentException>(() => agent.AddHandler<Greeter>("greeter"));
        agent.AddHandler<GreetingHandler>("greet");
        Assert.Throws<InvalidOperationException>(() => agent.AddHandler<GreetingHandler>("greet"));
    }

    [Fact]
    public void AddOrbitMeshAgent_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddOrbitMeshAgent(o => { }));
        Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddOrbitMeshAgent(null!));
    }

    internal sealed record Greeter(string Greeting);

    internal sealed class RequestCounter
    {
        public int Calls { get; set; }
    }

    internal sealed class GreetingHandler(Greeter greeter, RequestCounter counter) : IMeshHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken)
        {
            counter.Calls++;
            return Task.FromResult<object?>($"{greeter.Greeting}, {command.GetParameter<string>("name")} (call {counter.Calls} in its scope)");
        }
    }
}
