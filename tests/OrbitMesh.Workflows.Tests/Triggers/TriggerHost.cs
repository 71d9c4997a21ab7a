using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;
using OrbitMesh.Workflows.Tests.Runtime;

namespace OrbitMesh.Workflows.Tests.Triggers;

/// <summary>An engine with triggers on a manual clock; two hosts over one store are two servers, a second host after the first is a restart.</summary>
public sealed class TriggerHost : IAsyncDisposable
{
    private readonly EngineHost _host;

    private TriggerHost(EngineHost host, ManualTimeProvider clock)
    {
        _host = host;
        Clock = clock;
    }

    public ManualTimeProvider Clock { get; }

    /// <summary>Warnings and errors the engine and triggers logged (a timed-out wait shows them).</summary>
    public CapturedLogs Logs { get; private init; } = null!;

    public WorkflowEngine Engine => _host.Engine;

    public WorkflowTriggers Triggers => _host.Services.GetRequiredService<WorkflowTriggers>();

    internal CronTriggerScheduler Scheduler => _host.Services.GetRequiredService<CronTriggerScheduler>();

    internal WorkflowTriggerStore Store => _host.Services.GetRequiredService<WorkflowTriggerStore>();

    public IEventStore Events => _host.Events;

    public static async Task<TriggerHost> StartAsync(ManualTimeProvider clock, IEventStore? events = null, FakeMesh? mesh = null, bool protector = true)
    {
        mesh ??= Mesh();
        var logs = new CapturedLogs();
        var host = await EngineHost.StartAsync(mesh, events ?? new InMemoryEventStore(TimeProvider.System), services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddLogging(b => b.AddProvider(logs));
            if (protector)
            {
                services.AddSingleton<IWorkflowSecretProtector>(new ReversibleProtector());
            }
        });
        var triggers = new TriggerHost(host, clock) { Logs = logs };
        await Wait.ForAsync(triggers.Scheduler.Ready, "the cron scheduler to plan once");
        return triggers;
    }

    public static FakeMesh Mesh()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("app.work");
        return mesh;
    }

    /// <summary>A one-step workflow <c>nightly</c> that needs nothing.</summary>
    public async Task RegisterWorkflowAsync(string name = "nightly", params string[] required)
    {
        var definition = new WorkflowBuilder(name).AddCommand("work", "app.work").Build() with { RequiredParameters = required };
        await Engine.RegisterAsync(definition);
    }

    /// <summary>Every run the engine knows of a workflow, oldest first.</summary>
    public async Task<IReadOnlyList<WorkflowRun>> RunsAsync(string workflow = "nightly")
    {
        var summaries = await Engine.ListRunsAsync(new WorkflowRunQuery { Workflow = workflow, Limit = 1000 });
        var runs = new List<WorkflowRun>();
        foreach (var summary in summaries.OrderBy(s => s.StartedAt).ThenBy(s => s.RunId, StringComparer.Ordinal))
        {
            runs.Add((await Engine.GetRunAsync(summary.RunId))!);
        }

        return runs;
    }

    /// <summary>The ids of every run of a workflow in the store's index, whichever server started it.</summary>
    public async Task<IReadOnlyList<string>> IndexedRunsAsync(string workflow = "nightly") =>
        [.. (await new WorkflowRunStore(Events).LoadIndexAsync(CancellationToken.None)).Where(s => s.Workflow == workflow).Select(s => s.RunId).Distinct()];

    /// <summary>Waits until the trigger's last claimed time is <paramref name="scheduledAt"/>.</summary>
    public Task ClaimedAsync(string trigger, DateTimeOffset scheduledAt) =>
        UntilAsync(async () => (await Store.LastTickAsync(trigger, CancellationToken.None)).Tick?.ScheduledAt == scheduledAt, $"{trigger} to claim {scheduledAt:O}");

    /// <summary>
    /// Waits for a condition, nudging the clock 10 ms per poll: a manual clock fires only the timers
    /// that exist when it moves, so a timer armed just after a move (the scheduler's next wait, a
    /// run's zero-length delay) would otherwise wait for ever.
    /// </summary>
    public Task UntilAsync(Func<Task<bool>> condition, string because) =>
        Wait.UntilAsync(async () =>
        {
            if (await condition())
            {
                return true;
            }

            Clock.Advance(TimeSpan.FromMilliseconds(10));
            return false;
        }, because + Problems());

    /// <summary>What went wrong in the log, for a failure message.</summary>
    public string Problems() => string.Concat(Logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => $"\n  {e.Level} {e.Category}: {e.Message} {e.Exception?.GetType().Name} {e.Exception?.Message}"));

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, string)"/>
    public Task UntilAsync(Func<bool> condition, string because) => UntilAsync(() => Task.FromResult(condition()), because);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>A stand-in for Data Protection in these tests: reversible, and visibly not the plaintext.</summary>
    private sealed class ReversibleProtector : IWorkflowSecretProtector
    {
        public string Protect(string plaintext) => "sealed:" + Convert.ToBase64String(Encoding.UTF8.GetBytes(plaintext));

        public string Unprotect(string protectedValue) => protectedValue.StartsWith("sealed:", StringComparison.Ordinal)
            ? Encoding.UTF8.GetString(Convert.FromBase64String(protectedValue[7..]))
            : throw new System.Security.Cryptography.CryptographicException("not sealed here");
    }
}
