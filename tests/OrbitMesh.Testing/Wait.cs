using System.Diagnostics;

namespace OrbitMesh.Testing;

/// <summary>Waits on conditions with a timeout: the only way tests synchronise with background work.</summary>
public static class Wait
{
    /// <summary>The default wait: generous, because CI machines are slow and shared.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="because"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {because}.");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Polls an asynchronous condition until it holds.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout = null) =>
        UntilAsync(condition, because, timeout, TimeSpan.FromMilliseconds(10));

    /// <summary>
    /// Polls an asynchronous condition every <paramref name="pollInterval"/> until it holds (a longer
    /// interval suits conditions that cost a request to another process).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string because, TimeSpan? timeout, TimeSpan pollInterval)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {because}.");
            }

            await Task.Delay(pollInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Awaits a task, failing with <paramref name="because"/> when it does not finish in time.</summary>
    public static async Task<T> ForAsync<T>(Task<T> task, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {because}.");
        }
    }

    /// <summary>Awaits a task, failing with <paramref name="because"/> when it does not finish in time.</summary>
    public static async Task ForAsync(Task task, string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {because}.");
        }
    }
}
