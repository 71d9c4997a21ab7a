using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport;

/// <summary>
/// One physical connection of a <see cref="HubConnection"/>: the WebSocket, its receive loop, the
/// ordered dispatch of server invocations, keep-alive and server-timeout detection, and the
/// invocations waiting for an answer. A reconnect creates a new session.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The semaphore and token source use no wait handles or timers; the session may still be touched by late senders after it ends.")]
internal sealed partial class ConnectionSession : IInvocationBinder
{
    private const int ReceiveChunk = 16 * 1024;
    private const int DispatchQueueCapacity = 1024;

    private readonly HubConnection _owner;
    private readonly ClientWebSocket _socket;
    private readonly JsonHubProtocol _protocol;
    private readonly HubConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _sendBuffer = new(4096);
    private readonly ConcurrentDictionary<string, PendingInvocation> _pending = new(StringComparer.Ordinal);
    private readonly Channel<InvocationMessage> _dispatch = Channel.CreateBounded<InvocationMessage>(new BoundedChannelOptions(DispatchQueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private long _pingsSent;
    private long _lastReceived;
    private long _lastSent;
    private int _ended;
    private Task _receiveTask = Task.CompletedTask;
    private Task _dispatchTask = Task.CompletedTask;
    private Task _keepAliveTask = Task.CompletedTask;

    public ConnectionSession(HubConnection owner, ClientWebSocket socket, JsonHubProtocol protocol, HubConnectionOptions options, ILogger logger, TimeProvider time)
    {
        _owner = owner;
        _socket = socket;
        _protocol = protocol;
        _options = options;
        _logger = logger;
        _time = time;
        _lastReceived = _lastSent = time.GetTimestamp();
    }

    public void Start(byte[] leftover)
    {
        _dispatchTask = Task.Run(DispatchLoopAsync);
        _keepAliveTask = Task.Run(KeepAliveLoopAsync);
        _receiveTask = Task.Run(() => ReceiveLoopAsync(leftover));
    }

    /// <summary>Keep-alive pings sent on this connection.</summary>
    public long PingsSent => Interlocked.Read(ref _pingsSent);

    public void AddPending(string invocationId, PendingInvocation invocation)
    {
        _pending[invocationId] = invocation;
        if (Volatile.Read(ref _ended) != 0 && _pending.TryRemove(invocationId, out _))
        {
            invocation.Fail(ConnectionClosedException());
        }
    }

    public bool RemovePending(string invocationId) => _pending.TryRemove(invocationId, out _);

    public async ValueTask SendAsync(HubMessage message, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _ended) != 0)
            {
                throw ConnectionClosedException();
            }

            _sendBuffer.ResetWrittenCount();
            _protocol.WriteMessage(message, _sendBuffer);
            await _socket.SendAsync(_sendBuffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastSent, _time.GetTimestamp());
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            End(ex, allowReconnect: true);
            throw new InvalidOperationException("The connection was lost while sending.", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts sending each upload stream's items, then its completion.</summary>
    public void StartUploads(string[]? streamIds, IAsyncEnumerable<object?>[]? streams)
    {
        if (streamIds is null || streams is null)
        {
            return;
        }

        for (var i = 0; i < streamIds.Length; i++)
        {
            var (id, stream) = (streamIds[i], streams[i]);
            _ = Task.Run(() => UploadAsync(id, stream));
        }
    }

    /// <summary>Cancels a streaming invocation: tells the server, and ends the local reader.</summary>
    public void CancelStream(string invocationId, CancellationToken cancellationToken)
    {
        if (_pending.TryRemove(invocationId, out var stream))
        {
            stream.Cancel(cancellationToken);
            if (Volatile.Read(ref _ended) == 0)
            {
                _ = SendBestEffortAsync(new CancelInvocationMessage(invocationId));
            }
        }
    }

    /// <summary>Closes the WebSocket gracefully (waiting briefly for the server's close), then ends the session.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "client stopping", linked.Token).ConfigureAwait(false);
                await _receiveTask.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The close is best effort; End aborts the socket.
        }

        End(null, allowReconnect: false);
        await Task.WhenAll(_dispatchTask, _keepAliveTask).ConfigureAwait(false);
    }

    // ---- IInvocationBinder -------------------------------------------------------------------

    Type IInvocationBinder.GetReturnType(string invocationId) =>
        _pending.TryGetValue(invocationId, out var pending) ? pending.ResultType : typeof(object);

    IReadOnlyList<Type> IInvocationBinder.GetParameterTypes(string methodName)
    {
        var handlers = _owner.GetHandlers(methodName);
        if (handlers.IsEmpty)
        {
            throw new InvalidOperationException($"No handler is registered for '{methodName}'.");
        }

        return handlers[0].ParameterTypes;
    }

    Type IInvocationBinder.GetStreamItemType(string streamId) =>
        _pending.TryGetValue(streamId, out var pending) ? pending.ResultType : typeof(object);

    // ---- loops -------------------------------------------------------------------------------

    private async Task ReceiveLoopAsync(byte[] leftover)
    {
        var buffer = new GrowableBuffer(Math.Max(ReceiveChunk, leftover.Length * 2));
        var token = _closing.Token;
        Exception? error = null;
        var allowReconnect = true;
        try
        {
            buffer.Append(leftover);
            if (buffer.Length > 0 && await ParseAsync(buffer, token).ConfigureAwait(false) is { } earlyClose)
            {
                (error, allowReconnect) = earlyClose;
                return;
            }

            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(ReceiveChunk), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.CloseStatus is not (WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable))
                    {
                        error = new WebSocketException($"The server closed the WebSocket: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
                    }

                    return;
                }

                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                buffer.Advance(result.Count);
                if (buffer.Length > _options.MaximumReceiveMessageSize)
                {
                    throw new InvalidDataException($"A message from the server exceeded the maximum size of {_options.MaximumReceiveMessageSize} bytes.");
                }

                if (result.EndOfMessage && await ParseAsync(buffer, token).ConfigureAwait(false) is { } close)
                {
                    (error, allowReconnect) = close;
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Ending on purpose.
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            End(error, allowReconnect);
        }
    }

    /// <summary>Parses and handles every complete message; returns the close outcome when the server sent a Close message.</summary>
    private async ValueTask<(Exception? Error, bool AllowReconnect)?> ParseAsync(GrowableBuffer buffer, CancellationToken token)
    {
        var sequence = new ReadOnlySequence<byte>(buffer.Written);
        var total = sequence.Length;
        try
        {
            while (_protocol.TryParseMessage(ref sequence, this, out var message))
            {
                if (message is CloseMessage close)
                {
                    Log.ServerClosed(_logger, close.Error ?? "no error", close.AllowReconnect);
                    return (close.Error is null ? null : new HubException($"The server closed the connection with an error: {close.Error}"),
                        close.AllowReconnect || close.Error is null);
                }

                await HandleAsync(message, token).ConfigureAwait(false);
            }
        }
        finally
        {
            buffer.Consume((int)(total - sequence.Length));
        }

        return null;
    }

    private async ValueTask HandleAsync(HubMessage message, CancellationToken token)
    {
        switch (message)
        {
            case InvocationMessage invocation:
                await _dispatch.Writer.WriteAsync(invocation, token).ConfigureAwait(false);
                break;

            case InvocationBindingFailureMessage failure:
                Log.InvocationBindingFailed(_logger, failure.Target, failure.BindingFailure.SourceException.Message);
                if (failure.InvocationId is { } failedId)
                {
                    await SendBestEffortAsync(CompletionMessage.WithError(failedId, $"The client could not bind '{failure.Target}': {failure.BindingFailure.SourceException.Message}")).ConfigureAwait(false);
                }

                break;

            case CompletionMessage completion:
                if (_pending.TryRemove(completion.InvocationId!, out var pending))
                {
                    pending.Complete(completion);
                }

                break;

            case StreamItemMessage item:
                if (_pending.TryGetValue(item.InvocationId!, out var target) && target is PendingStream stream)
                {
                    try
                    {
                        await stream.WriteAsync(item.Item, token).ConfigureAwait(false);
                    }
                    catch (ChannelClosedException)
                    {
                        // The consumer cancelled; items still in flight are dropped.
                    }
                }

                break;

            case StreamBindingFailureMessage streamFailure:
                Log.StreamBindingFailed(_logger, streamFailure.Id, streamFailure.BindingFailure.SourceException.Message);
                if (_pending.TryRemove(streamFailure.Id, out var failedStream))
                {
                    failedStream.Fail(new HubException($"A stream item could not be read: {streamFailure.BindingFailure.SourceException.Message}"));
                }

                break;

            case PingMessage:
                break;

            default:
                Log.UnexpectedMessage(_logger, message.GetType().Name);
                break;
        }
    }

    /// <summary>
    /// Runs server invocations in arrival order. It drains what was queued even after the session
    /// ended, so a notice the server sent just before closing (such as "do not reconnect") is seen
    /// before the reconnect decision is made.
    /// </summary>
    private async Task DispatchLoopAsync()
    {
        await foreach (var invocation in _dispatch.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var handlers = _owner.GetHandlers(invocation.Target);
            if (invocation.InvocationId is { } invocationId)
            {
                if (Volatile.Read(ref _ended) == 0)
                {
                    _ = Task.Run(() => RunClientResultAsync(invocationId, invocation, handlers));
                }

                continue;
            }

            if (handlers.IsEmpty)
            {
                Log.NoHandler(_logger, invocation.Target);
                continue;
            }

            foreach (var handler in handlers)
            {
                try
                {
                    await handler.Callback(invocation.Arguments).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.HandlerFailed(_logger, invocation.Target, ex);
                }
            }
        }
    }

    private async Task RunClientResultAsync(string invocationId, InvocationMessage invocation, System.Collections.Immutable.ImmutableArray<HubConnection.InvocationHandler> handlers)
    {
        CompletionMessage completion;
        var handler = handlers.FirstOrDefault(h => h.HasResult);
        if (handler is null)
        {
            Log.NoResultHandler(_logger, invocation.Target);
            completion = CompletionMessage.WithError(invocationId, "Client didn't provide a result.");
        }
        else
        {
            try
            {
                var result = await handler.Callback(invocation.Arguments).ConfigureAwait(false);
                completion = CompletionMessage.WithResult(invocationId, result);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, invocation.Target, ex);
                completion = CompletionMessage.WithError(invocationId, ex.Message);
            }
        }

        await SendBestEffortAsync(completion).ConfigureAwait(false);
    }

    private async Task KeepAliveLoopAsync()
    {
        var token = _closing.Token;
        var tickMs = Math.Max(20, Math.Min(_options.KeepAliveInterval.TotalMilliseconds / 3, _options.ServerTimeout.TotalMilliseconds / 4));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(tickMs), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                if (_time.GetElapsedTime(Volatile.Read(ref _lastReceived)) > _options.ServerTimeout)
                {
                    End(new TimeoutException($"Server timeout ({_options.ServerTimeout.TotalMilliseconds:0} ms) elapsed without receiving a message from the server."), allowReconnect: true);
                    return;
                }

                if (_time.GetElapsedTime(Volatile.Read(ref _lastSent)) >= _options.KeepAliveInterval)
                {
                    await SendBestEffortAsync(PingMessage.Instance).ConfigureAwait(false);
                    Interlocked.Increment(ref _pingsSent);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private async Task UploadAsync(string streamId, IAsyncEnumerable<object?> stream)
    {
        var token = _closing.Token;
        try
        {
            await foreach (var item in stream.WithCancellation(token).ConfigureAwait(false))
            {
                await SendAsync(new StreamItemMessage(streamId, item), token).ConfigureAwait(false);
            }

            await SendAsync(CompletionMessage.Empty(streamId), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException) when (Volatile.Read(ref _ended) != 0)
        {
        }
        catch (Exception ex)
        {
            Log.UploadFailed(_logger, streamId, ex.Message);
            await SendBestEffortAsync(CompletionMessage.WithError(streamId, ex.Message)).ConfigureAwait(false);
        }
    }

    private async Task SendBestEffortAsync(HubMessage message)
    {
        try
        {
            await SendAsync(message, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // The session is ending; whoever waits is failed by End.
        }
    }

    /// <summary>Ends the session once: stops the loops, aborts the socket, fails what waits, and tells the owner.</summary>
    private void End(Exception? error, bool allowReconnect)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        _dispatch.Writer.TryComplete();
        _socket.Abort();

        var failure = ConnectionClosedException(error);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.Fail(failure);
            }
        }

        _ = Task.Run(async () =>
        {
            await _dispatchTask.ConfigureAwait(false);
            await _owner.OnSessionEndedAsync(this, error, allowReconnect).ConfigureAwait(false);
            _socket.Dispose();
        });
    }

    private static InvalidOperationException ConnectionClosedException(Exception? inner = null) =>
        new("The invocation was canceled because the connection closed" + (inner is null ? "." : $": {inner.Message}"), inner);
}
