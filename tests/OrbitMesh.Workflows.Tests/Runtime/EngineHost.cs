using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>A workflow engine over a fake mesh and an in-memory event store; a second host over the same store is a restart.</summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _hosted;

    private EngineHost(ServiceProvider services)
    {
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
        Engine = services.GetRequiredService<WorkflowEngine>();
    }

    public WorkflowEngine Engine { get; }

    public static async Task<EngineHost> StartAsync(FakeMesh mesh, IEventStore? events = null, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(events ?? new InMemoryEventStore(TimeProvider.System));
        services.AddSingleton<IMeshClient>(mesh);
        services.AddOrbitMeshWorkflows(o => o.DefaultStepTimeout = TimeSpan.FromSeconds(30));
        configure?.Invoke(services);
        var host = new EngineHost(services.BuildServiceProvider());
        foreach (var hosted in host._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return host;
    }

    public IEventStore Events => _services.GetRequiredService<IEventStore>();

    public IServiceProvider Services => _services;

    public async Task<WorkflowRun> RunAsync(WorkflowDefinition definition, object? parameters = null)
    {
        var run = await Engine.StartRunAsync(definition, OrbitMeshJson.ToElement(parameters));
        return await Wait.ForAsync(Engine.WaitForRunAsync(run.RunId), $"run {run.RunId} of {definition.Name} to end");
    }

    public async Task<IReadOnlyList<WorkflowRunEvent>> EventsOfAsync(string runId)
    {
        var events = new List<WorkflowRunEvent>();
        await foreach (var e in Engine.WatchRunAsync(runId))
        {
            events.Add(e);
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}
