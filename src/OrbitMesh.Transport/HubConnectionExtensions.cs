using System.Threading.Channels;

namespace OrbitMesh.Transport;

/// <summary>
/// Typed helpers over <see cref="HubConnection"/>'s core methods, in the shape of the official client.
/// </summary>
public static class HubConnectionExtensions
{
    /// <summary>Handles a server invocation with no arguments.</summary>
    public static IDisposable On(this HubConnection connection, string methodName, Func<Task> handler) =>
        connection.On(methodName, [], _ => handler());

    /// <summary>Handles a server invocation with one argument.</summary>
    public static IDisposable On<T1>(this HubConnection connection, string methodName, Func<T1, Task> handler) =>
        connection.On(methodName, [typeof(T1)], args => handler((T1)args[0]!));

    /// <summary>Handles a server invocation with one argument.</summary>
    public static IDisposable On<T1>(this HubConnection connection, string methodName, Action<T1> handler) =>
        connection.On(methodName, [typeof(T1)], args =>
        {
            handler((T1)args[0]!);
            return Task.CompletedTask;
        });

    /// <summary>Handles a server invocation with two arguments.</summary>
    public static IDisposable On<T1, T2>(this HubConnection connection, string methodName, Func<T1, T2, Task> handler) =>
        connection.On(methodName, [typeof(T1), typeof(T2)], args => handler((T1)args[0]!, (T2)args[1]!));

    /// <summary>Handles a server invocation that expects a result (a client result).</summary>
    public static IDisposable OnWithResult<TResult>(this HubConnection connection, string methodName, Func<Task<TResult>> handler) =>
        connection.OnWithResult(methodName, [], async _ => await handler().ConfigureAwait(false));

    /// <summary>Handles a server invocation with one argument that expects a result (a client result).</summary>
    public static IDisposable OnWithResult<T1, TResult>(this HubConnection connection, string methodName, Func<T1, Task<TResult>> handler) =>
        connection.OnWithResult(methodName, [typeof(T1)], async args => await handler((T1)args[0]!).ConfigureAwait(false));

    /// <summary>Handles a server invocation with one argument that expects a result (a client result).</summary>
    public static IDisposable OnWithResult<T1, TResult>(this HubConnection connection, string methodName, Func<T1, TResult> handler) =>
        connection.OnWithResult(methodName, [typeof(T1)], args => Task.FromResult<object?>(handler((T1)args[0]!)));

    /// <summary>Invokes a hub method without waiting for a response.</summary>
    public static Task SendAsync(this HubConnection connection, string methodName, CancellationToken cancellationToken = default) =>
        connection.SendCoreAsync(methodName, [], cancellationToken);

    /// <summary>Invokes a hub method without waiting for a response.</summary>
    public static Task SendAsync(this HubConnection connection, string methodName, object? arg1, CancellationToken cancellationToken = default) =>
        connection.SendCoreAsync(methodName, [arg1], cancellationToken);

    /// <summary>Invokes a hub method without waiting for a response.</summary>
    public static Task SendAsync(this HubConnection connection, string methodName, object? arg1, object? arg2, CancellationToken cancellationToken = default) =>
        connection.SendCoreAsync(methodName, [arg1, arg2], cancellationToken);

    /// <summary>Invokes a hub method and waits for it to complete.</summary>
    public static Task InvokeAsync(this HubConnection connection, string methodName, object? arg1, CancellationToken cancellationToken = default) =>
        connection.InvokeCoreAsync(methodName, typeof(object), [arg1], cancellationToken);

    /// <summary>Invokes a hub method and returns its result.</summary>
    public static Task<TResult> InvokeAsync<TResult>(this HubConnection connection, string methodName, CancellationToken cancellationToken = default) =>
        connection.InvokeCoreAsync<TResult>(methodName, [], cancellationToken);

    /// <summary>Invokes a hub method and returns its result.</summary>
    public static Task<TResult> InvokeAsync<TResult>(this HubConnection connection, string methodName, object? arg1, CancellationToken cancellationToken = default) =>
        connection.InvokeCoreAsync<TResult>(methodName, [arg1], cancellationToken);

    /// <summary>Invokes a hub method and returns its result.</summary>
    public static Task<TResult> InvokeAsync<TResult>(this HubConnection connection, string methodName, object? arg1, object? arg2, CancellationToken cancellationToken = default) =>
        connection.InvokeCoreAsync<TResult>(methodName, [arg1, arg2], cancellationToken);

    /// <summary>Invokes a hub method with any arguments and returns its result.</summary>
    public static async Task<TResult> InvokeCoreAsync<TResult>(this HubConnection connection, string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return (TResult)(await connection.InvokeCoreAsync(methodName, typeof(TResult), args, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Invokes a streaming hub method and enumerates its items.</summary>
    public static IAsyncEnumerable<TResult> StreamAsync<TResult>(this HubConnection connection, string methodName, CancellationToken cancellationToken = default) =>
        connection.StreamAsyncCore<TResult>(methodName, [], cancellationToken);

    /// <summary>Invokes a streaming hub method and enumerates its items.</summary>
    public static IAsyncEnumerable<TResult> StreamAsync<TResult>(this HubConnection connection, string methodName, object? arg1, CancellationToken cancellationToken = default) =>
        connection.StreamAsyncCore<TResult>(methodName, [arg1], cancellationToken);

    /// <summary>Invokes a streaming hub method and enumerates its items.</summary>
    public static IAsyncEnumerable<TResult> StreamAsync<TResult>(this HubConnection connection, string methodName, object? arg1, object? arg2, CancellationToken cancellationToken = default) =>
        connection.StreamAsyncCore<TResult>(methodName, [arg1, arg2], cancellationToken);

    /// <summary>Invokes a streaming hub method; items arrive on a channel.</summary>
    public static async Task<ChannelReader<TResult>> StreamAsChannelAsync<TResult>(this HubConnection connection, string methodName, object? arg1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var source = await connection.StreamAsChannelCoreAsync(methodName, typeof(TResult), [arg1], cancellationToken).ConfigureAwait(false);
        var typed = Channel.CreateBounded<TResult>(1);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in source.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    await typed.Writer.WriteAsync((TResult)item!, CancellationToken.None).ConfigureAwait(false);
                }

                typed.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                typed.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);
        return typed.Reader;
    }
}
