using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Api;

/// <summary>
/// Writes a <c>text/event-stream</c> response: one event per item (<c>id:</c> its sequence, so a client
/// can resume with <c>Last-Event-ID</c>; <c>event:</c> its type; <c>data:</c> the item as JSON), with a
/// comment every 15 s of silence so proxies keep the connection open. For job and workflow-run events.
/// </summary>
internal static class ServerSentEvents
{
    private static readonly TimeSpan SseKeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Where a stream starts: after the <c>Last-Event-ID</c> a reconnecting client sends (the SSE
    /// standard), else after <paramref name="after"/> (<c>?after=N</c>), else from the first event.
    /// A header that is not a sequence number gives a 400 to send instead.
    /// </summary>
    public static (long After, IResult? Problem) StartOf(HttpContext context, long? after)
    {
        if (context.Request.Headers["Last-Event-ID"].FirstOrDefault() is not { Length: > 0 } lastEventId)
        {
            return (after ?? 0, null);
        }

        return long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            ? (from, null)
            : (0, ApiResults.BadRequest($"Last-Event-ID must be an event sequence number, not '{lastEventId}'."));
    }

    public static async Task WriteAsync<T>(HttpContext context, IAsyncEnumerable<T> source, Func<T, long> id, Func<T, string> type, CancellationToken cancellationToken)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);

        var events = source.GetAsyncEnumerator(cancellationToken);
        await using var disposeEvents = events.ConfigureAwait(false);
        Task<bool>? next = null;
        try
        {
            while (true)
            {
                next ??= events.MoveNextAsync().AsTask();
                var finished = await Task.WhenAny(next, Task.Delay(SseKeepAlive, cancellationToken)).ConfigureAwait(false);
                if (finished != next)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                next = null;
                var current = events.Current;
                var text = new StringBuilder()
                    .Append("id: ").Append(id(current).ToString(CultureInfo.InvariantCulture)).Append('\n')
                    .Append("event: ").Append(type(current)).Append('\n')
                    .Append("data: ").Append(JsonSerializer.Serialize(current, OrbitMeshJson.Options)).Append("\n\n")
                    .ToString();
                await context.Response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client went away (Ctrl-C on a --wait): normal, not an error.
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNextAsync is pending (NotSupportedException):
            // let the pending one finish first; it ends with the request's cancellation.
            if (next is { IsCompleted: false })
            {
                try
                {
                    await next.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
