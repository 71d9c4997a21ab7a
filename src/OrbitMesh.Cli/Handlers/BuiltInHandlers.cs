using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OrbitMesh.Agent;

namespace OrbitMesh.Cli.Handlers;

/// <summary>The handlers every CLI agent has, so it is useful with no code.</summary>
internal static class BuiltInHandlers
{
    /// <summary>The largest <c>n</c> stream.count accepts.</summary>
    public const int MaxStreamCount = 1_000_000;

    /// <summary>The longest sleep accepted: one day.</summary>
    public const int MaxSleepMs = 24 * 60 * 60 * 1000;

    public static MeshAgentBuilder AddBuiltInHandlers(this MeshAgentBuilder builder) => builder
        .RegisterHandler("echo", command => command.Parameters)
        .RegisterHandler("sleep", SleepAsync)
        .RegisterHandler("system.info", _ => SystemInfo())
        .RegisterStreamHandler("stream.count", CountAsync)
        .RegisterStreamHandler("stream.echo", EchoInputAsync);

    internal static async Task<object?> SleepAsync(MeshCommand command, CancellationToken cancellationToken)
    {
        var ms = command.GetParameter("ms", 1000);
        if (ms is < 0 or > MaxSleepMs)
        {
            throw new MeshParameterException($"'ms' must be between 0 and {MaxSleepMs}; it was {ms}.");
        }

        // Sleep in up to ten steps, reporting progress after each (which also renews the job's lease).
        var started = Environment.TickCount64;
        var steps = ms >= 100 ? 10 : 1;
        for (var step = 1; step <= steps; step++)
        {
            var due = (long)ms * step / steps;
            var wait = due - (Environment.TickCount64 - started);
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken).ConfigureAwait(false);
            }

            if (steps > 1)
            {
                await command.ReportProgressAsync(100.0 * step / steps, $"slept {due} of {ms} ms", cancellationToken).ConfigureAwait(false);
            }
        }

        return new { sleptMs = Environment.TickCount64 - started };
    }

    internal static object SystemInfo()
    {
        var memory = GC.GetGCMemoryInfo();
        return new
        {
            host = Environment.MachineName,
            os = RuntimeInformation.OSDescription,
            architecture = RuntimeInformation.OSArchitecture.ToString(),
            processorCount = Environment.ProcessorCount,
            totalMemoryBytes = memory.TotalAvailableMemoryBytes,
            processWorkingSetBytes = Environment.WorkingSet,
            runtime = RuntimeInformation.FrameworkDescription,
            uptimeSeconds = Environment.TickCount64 / 1000,
        };
    }

    /// <summary>Streams back every input item the caller streams to the job.</summary>
    internal static async IAsyncEnumerable<object?> EchoInputAsync(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in command.Input.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    internal static async IAsyncEnumerable<object?> CountAsync(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var n = command.GetParameter("n", 10);
        var delayMs = command.GetParameter("delayMs", 0);
        if (n is < 0 or > MaxStreamCount)
        {
            throw new MeshParameterException($"'n' must be between 0 and {MaxStreamCount}; it was {n}.");
        }

        if (delayMs is < 0 or > 60_000)
        {
            throw new MeshParameterException($"'delayMs' must be between 0 and 60000; it was {delayMs}.");
        }

        for (var i = 1; i <= n; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (delayMs > 0)
            {
                await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
            }

            yield return i;
        }
    }
}
