using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Jobs;
using OrbitMesh.Storage.Sqlite;
using OrbitMesh.Workflows;

namespace OrbitMesh.Bench;

/// <summary>
/// The server role: an OrbitMesh server, plus a bare SignalR hub (the baselines) and a caller hub that
/// drives the mesh through the in-process <see cref="IMeshClient"/>, so callers in the load process
/// reach the mesh over the same transport as the baseline.
/// </summary>
internal static class BenchServer
{
    public const string Token = "bench-agent-token";

    public static async Task<int> RunAsync(int port, string storage, string? data, int heartbeatMs, int handshakeBudget)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxConcurrentConnections = null);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Error);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var mesh = builder.Services.AddOrbitMesh(o =>
        {
            o.AgentTokens.Add(Token);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(heartbeatMs);
            o.MaxConcurrentHandshakes = handshakeBudget;
            o.MaxConcurrentHandshakesPerAddress = handshakeBudget; // every bench agent connects from 127.0.0.1
            o.Jobs.MaxPendingJobs = 100_000;
            o.Jobs.DispatcherParallelism = 4;
            o.Retention.EventsAfter = TimeSpan.Zero;
            o.Retention.Interval = TimeSpan.FromHours(1);

            // The load comes from one address: the per-address limits would measure themselves. The
            // bench's API calls (tokens, approvals) come from loopback without credentials.
            o.Security.EnrollmentPermitsPerMinute = 1_000_000;
            o.Security.ApiPermitsPerMinute = 10_000_000;
            o.Security.AllowAnonymousLoopbackApi = true;
        });
        if (storage == "sqlite")
        {
            mesh.UseSqlite(Path.Combine(data ?? Path.GetTempPath(), "orbitmesh.db"));
        }
        else if (storage == "postgres")
        {
            // A schema of its own for this run (named by --data), in the database $ORBITMESH_BENCH_POSTGRES names.
            mesh.UsePostgres(Scenarios.PostgresConnectionString(), o => o.Schema = data ?? "orbitmesh_bench");
        }
        else
        {
            mesh.UseInMemoryStorage();
        }

        builder.Services.AddOrbitMeshWorkflows();
        builder.Services.AddGridLinkCopier();
        builder.Services.AddWorkflow(BenchWorkflows.Sequential("noop-5", 5));
        builder.Services.AddWorkflow(BenchWorkflows.Sequential("noop-1", 1));
        builder.Services.AddSignalR(o =>
        {
            o.MaximumReceiveMessageSize = 1024 * 1024;
            o.MaximumParallelInvocationsPerClient = 128;
        });

        var app = builder.Build();
        app.MapOrbitMesh();
        app.MapGridLinkCopies(OrbitMesh.Server.Security.OrbitMeshPolicies.Operator);
        app.MapHub<BareHub>("/bare");
        app.MapHub<CallerHub>("/bench");
        var handshakeRate = new RateSampler(() => app.Services.GetRequiredService<HandshakeAdmission>().Admitted);
        app.MapGet("/bench/stats", (IAgentRegistry registry, HandshakeAdmission admission) => Results.Json(new
        {
            connected = registry.ConnectedCount,
            handshakeBudget = handshakeBudget,
            handshakesPeakConcurrent = admission.Peak,
            handshakesAdmitted = admission.Admitted,
            handshakesRejected = admission.Rejected,
            handshakesPeakPerSecond = handshakeRate.PeakPerSecond,
            rssBytes = ResidentMemory.Bytes(Environment.ProcessId),
            gcHeapBytes = GC.GetTotalMemory(false),
        }));
        app.MapPost("/bench/retention", async (JobRetentionService retention, IServiceProvider services) =>
        {
            var result = await retention.RunOnceAsync(CancellationToken.None);
            if (services.GetService<SqliteDatabase>() is { } database)
            {
                await database.CompactFileAsync(CancellationToken.None);
            }

            return Results.Json(result);
        });
        app.MapGet("/bench/dbsize", (IServiceProvider services) => Results.Json(new { bytes = services.GetService<SqliteDatabase>()?.SizeBytes ?? 0 }));

        await app.StartAsync();
        handshakeRate.Start(app.Lifetime.ApplicationStopping);
        Console.WriteLine("READY " + Environment.ProcessId);
        await app.WaitForShutdownAsync();
        return 0;
    }
}

/// <summary>The highest per-second increase of a counter, sampled every second in the server process.</summary>
internal sealed class RateSampler(Func<long> read)
{
    private long _peak;

    public long PeakPerSecond => Interlocked.Read(ref _peak);

    public void Start(CancellationToken stopping) => _ = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var last = read();
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
        {
            var now = read();
            if (now - last > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, now - last);
            }

            last = now;
        }
    }, CancellationToken.None);
}

/// <summary>A bare hub: what plain SignalR costs, for the baselines.</summary>
internal sealed class BareHub : Hub
{
#pragma warning disable CA1822 // SignalR only binds instance methods.
    public string Echo(string value) => value;
#pragma warning restore CA1822

    public async Task Burst(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Clients.Caller.SendAsync("Tick", i);
        }
    }
}

/// <summary>The caller's way into the mesh, over SignalR like the baseline.</summary>
internal sealed class CallerHub(IMeshClient mesh, IWorkflowClient workflows) : Hub
{
    public async Task<string> ExecuteWorkflow(string name)
    {
        var run = await workflows.ExecuteWorkflowAsync(name);
        return run.Status.ToString();
    }

    public Task<JsonElement> Invoke(string agentId, string value) =>
        mesh.InvokeAsync<JsonElement>(agentId, "echo", new { value });

    /// <summary>Like <see cref="Invoke"/> with another command (the WebAssembly scenario's <c>wasm:echo@1</c>).</summary>
    public Task<JsonElement> InvokeCommand(string agentId, string command) =>
        mesh.InvokeAsync<JsonElement>(agentId, command, new { value = "x" });

    public async Task<string> Execute(string command)
    {
        var result = await mesh.ExecuteAsync(new JobRequest { Command = command });
        return result.Status.ToString();
    }

    public async Task<int> Notify(string agentId, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await mesh.SendAsync(agentId, "tick");
        }

        return count;
    }

    public async Task<long> Stream(int count)
    {
        long items = 0;
        await foreach (var _ in mesh.StreamAsync<int>(new JobRequest { Command = "count", Parameters = JsonSerializer.SerializeToElement(new { n = count }) }))
        {
            items++;
        }

        return items;
    }
}

/// <summary>The bench's workflows: N no-op command steps in a row.</summary>
internal static class BenchWorkflows
{
    public static WorkflowDefinition Sequential(string name, int steps)
    {
        var builder = new WorkflowBuilder(name);
        for (var i = 1; i <= steps; i++)
        {
            builder.AddCommand($"s{i}", "noop");
        }

        return builder.Build();
    }
}
