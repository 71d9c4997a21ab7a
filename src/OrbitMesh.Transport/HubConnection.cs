using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Transport;

/// <summary>
/// A connection to a SignalR hub over WebSockets, speaking the JSON hub protocol. Its public shape
/// follows the official client's <c>HubConnection</c>: <see cref="On(string, Type[], Func{object?[], Task})"/>
/// handlers for server-to-client invocations (with or without a result), <see cref="SendCoreAsync"/>,
/// <see cref="InvokeCoreAsync"/>, <see cref="StreamAsChannelCoreAsync"/> and upload streams (pass a
/// <see cref="ChannelReader{T}"/> or <see cref="IAsyncEnumerable{T}"/> argument), keep-alive pings,
/// server-timeout detection, and automatic reconnect through an <see cref="IRetryPolicy"/>.
/// </summary>
/// <remarks>
/// Handlers for invocations that expect no result run one at a time in arrival order, so keep them
/// short. Handlers for invocations that expect a result (SignalR client results) start in arrival
/// order and run concurrently; each one's result is sent back when it finishes.
/// </remarks>
public sealed partial class HubConnection : IAsyncDisposable
{
    private readonly HubConnectionOptions _options;
    private readonly JsonHubProtocol _protocol;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _stateLock = new(1, 1);
    private readonly object _handlersLock = new();
    private ImmutableDictionary<string, ImmutableArray<InvocationHandler>> _handlers =
        ImmutableDictionary.Create<string, ImmutableArray<InvocationHandler>>(StringComparer.OrdinalIgnoreCase);

    private ConnectionSession? _session;
    private volatile HubConnectionState _state;
    private volatile bool _stopping;
    private CancellationTokenSource? _reconnectCts;
    private long _nextId;
    private bool _disposed;

    /// <summary>Creates a connection; prefer <see cref="HubConnectionBuilder"/>.</summary>
    public HubConnection(HubConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<HubConnection>();

        var protocolOptions = new JsonHubProtocolOptions();
        OrbitMeshJson.Configure(protocolOptions.PayloadSerializerOptions);
        options.ConfigureJson?.Invoke(protocolOptions.PayloadSerializerOptions);
        _protocol = new JsonHubProtocol(Options.Create(protocolOptions));
    }

    /// <summary>Raised when the connection closes for good: stopped, not allowed to reconnect, or the policy gave up.</summary>
    public event Func<Exception?, Task>? Closed;

    /// <summary>Raised when the connection was lost and reconnecting begins.</summary>
    public event Func<Exception?, Task>? Reconnecting;

    /// <summary>Raised when a reconnect succeeded. The argument is the connection id, which this client does not learn (null).</summary>
    public event Func<string?, Task>? Reconnected;

    /// <summary>The connection's state.</summary>
    public HubConnectionState State => _state;

    /// <summary>Null: this client skips negotiation, so the server's connection id is not known to it.</summary>
    public string? ConnectionId { get; internal set; }

    /// <summary>Keep-alive pings sent on the current connection (for tests and diagnostics).</summary>
    internal long PingsSent => _session?.PingsSent ?? 0;

    /// <summary>The keep-alive interval.</summary>
    public TimeSpan KeepAliveInterval => _options.KeepAliveInterval;

    /// <summary>The server timeout.</summary>
    public TimeSpan ServerTimeout => _options.ServerTimeout;

    /// <summary>
    /// Connects and completes the handshake. Throws <see cref="MeshAuthenticationException"/> when the
    /// server refuses the credentials and <see cref="MeshConnectionException"/> for other failures.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _stateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_state != HubConnectionState.Disconnected)
            {
                throw new InvalidOperationException($"The connection cannot be started while it is {_state}.");
            }

            _stopping = false;
            _state = HubConnectionState.Connecting;
            try
            {
                _session = await ConnectSessionAsync(cancellationToken).ConfigureAwait(false);
                _state = HubConnectionState.Connected;
            }
            catch
            {
                _state = HubConnectionState.Disconnected;
                throw;
            }
        }
        finally
        {
            _stateLock.Release();
        }

        Log.Connected(_logger, _options.Url!);
    }

    /// <summary>Closes the connection and stops any reconnect in progress. Raises <see cref="Closed"/> once.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopping = true;
        await (_reconnectCts?.CancelAsync() ?? Task.CompletedTask).ConfigureAwait(false);

        HubConnectionState previous;
        ConnectionSession? session;
        await _stateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            previous = _state;
            session = _session;
            _session = null;
            _state = HubConnectionState.Disconnected;
        }
        finally
        {
            _stateLock.Release();
        }

        if (session is not null)
        {
            await session.CloseAsync(cancellationToken).ConfigureAwait(false);
        }

        if (previous is HubConnectionState.Connected or HubConnectionState.Reconnecting)
        {
            Log.Stopped(_logger);
            await RaiseAsync(Closed, null).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _disposed = true;
        _reconnectCts?.Dispose();
    }

    /// <summary>
    /// Registers a handler for a server-to-client invocation that expects no result.
    /// </summary>
    public IDisposable On(string methodName, Type[] parameterTypes, Func<object?[], Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(methodName, new InvocationHandler(parameterTypes, async args =>
        {
            await handler(args).ConfigureAwait(false);
            return null;
        }, HasResult: false));
    }

    /// <summary>
    /// Registers a handler for a server-to-client invocation that expects a result (a SignalR client
    /// result). Only one result handler per method is allowed.
    /// </summary>
    public IDisposable OnWithResult(string methodName, Type[] parameterTypes, Func<object?[], Task<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlersLock)
        {
            if (_handlers.TryGetValue(methodName, out var existing) && existing.Any(h => h.HasResult))
            {
                throw new InvalidOperationException($"'{methodName}' already has a handler that returns a result.");
            }
        }

        return AddHandler(methodName, new InvocationHandler(parameterTypes, handler, HasResult: true));
    }

    /// <summary>Removes every handler for a method.</summary>
    public void Remove(string methodName)
    {
        lock (_handlersLock)
        {
            _handlers = _handlers.Remove(methodName);
        }
    }

    /// <summary>Invokes a hub method without waiting for a response (a non-blocking invocation).</summary>
    public async Task SendCoreAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
    {
        var session = RequireConnected(nameof(SendCoreAsync));
        var (arguments, streamIds, streams) = SplitStreamArguments(args);
        await session.SendAsync(new InvocationMessage(null, methodName, arguments, streamIds), cancellationToken).ConfigureAwait(false);
        session.StartUploads(streamIds, streams);
    }

    /// <summary>Invokes a hub method and waits for its completion; the result is read as <paramref name="returnType"/>.</summary>
    public async Task<object?> InvokeCoreAsync(string methodName, Type returnType, object?[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(returnType);
        var session = RequireConnected(nameof(InvokeCoreAsync));
        var invocationId = NextId();
        var call = new PendingCall(returnType);
        session.AddPending(invocationId, call);

        var (arguments, streamIds, streams) = SplitStreamArguments(args);
        try
        {
            await session.SendAsync(new InvocationMessage(invocationId, methodName, arguments, streamIds), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            session.RemovePending(invocationId);
            throw;
        }

        session.StartUploads(streamIds, streams);

        using var registration = cancellationToken.Register(() =>
        {
            if (session.RemovePending(invocationId))
            {
                call.Cancel(cancellationToken);
            }
        });
        return await call.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Invokes a streaming hub method; items arrive on the returned reader as <paramref name="itemType"/>.
    /// Cancelling the token sends a cancel-invocation message to the server.
    /// </summary>
    public async Task<ChannelReader<object?>> StreamAsChannelCoreAsync(string methodName, Type itemType, object?[] args, CancellationToken cancellationToken = default)
    {
        var (stream, reader) = await StartStreamAsync(methodName, itemType, args, cancellationToken).ConfigureAwait(false);
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => stream.Session.CancelStream(stream.InvocationId, cancellationToken));
            _ = reader.Completion.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }

        return reader;
    }

    /// <summary>
    /// Invokes a streaming hub method and enumerates its items. Stopping the enumeration early, or
    /// cancelling, sends a cancel-invocation message to the server.
    /// </summary>
    public async IAsyncEnumerable<T> StreamAsyncCore<T>(string methodName, object?[] args, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (stream, reader) = await StartStreamAsync(methodName, typeof(T), args, cancellationToken).ConfigureAwait(false);
        var completed = false;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    yield return (T)item!;
                }
            }

            completed = true;
        }
        finally
        {
            if (!completed)
            {
                stream.Session.CancelStream(stream.InvocationId, cancellationToken.IsCancellationRequested ? cancellationToken : default);
            }
        }
    }

    private async Task<(PendingStream Stream, ChannelReader<object?> Reader)> StartStreamAsync(string methodName, Type itemType, object?[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(itemType);
        cancellationToken.ThrowIfCancellationRequested();
        var session = RequireConnected(nameof(StreamAsChannelCoreAsync));
        var invocationId = NextId();
        var stream = new PendingStream(session, invocationId, itemType, _options.StreamBufferCapacity);
        session.AddPending(invocationId, stream);

        var (arguments, streamIds, streams) = SplitStreamArguments(args);
        try
        {
            await session.SendAsync(new StreamInvocationMessage(invocationId, methodName, arguments, streamIds), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            session.RemovePending(invocationId);
            throw;
        }

        session.StartUploads(streamIds, streams);
        return (stream, stream.Reader);
    }

    private ConnectionSession RequireConnected(string operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var session = _session;
        if (_state != HubConnectionState.Connected || session is null)
        {
            throw new InvalidOperationException($"The '{operation}' method cannot be called while the connection is {_state}.");
        }

        return session;
    }

    private string NextId() => Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private (object?[] Arguments, string[]? StreamIds, IAsyncEnumerable<object?>[]? Streams) SplitStreamArguments(object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        List<object?>? plain = null;
        List<string>? ids = null;
        List<IAsyncEnumerable<object?>>? streams = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is { } arg && StreamAdapters.TryAdapt(arg) is { } stream)
            {
                plain ??= [.. args.Take(i)];
                ids ??= [];
                streams ??= [];
                ids.Add(NextId());
                streams.Add(stream);
            }
            else
            {
                plain?.Add(args[i]);
            }
        }

        return ids is null ? (args, null, null) : (plain!.ToArray(), ids.ToArray(), streams!.ToArray());
    }

    private Registration AddHandler(string methodName, InvocationHandler handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        ArgumentNullException.ThrowIfNull(handler.ParameterTypes);
        lock (_handlersLock)
        {
            var list = _handlers.TryGetValue(methodName, out var existing) ? existing : [];
            _handlers = _handlers.SetItem(methodName, list.Add(handler));
        }

        return new Registration(this, methodName, handler);
    }

    private void RemoveHandler(string methodName, InvocationHandler handler)
    {
        lock (_handlersLock)
        {
            if (_handlers.TryGetValue(methodName, out var list))
            {
                var updated = list.Remove(handler);
                _handlers = updated.IsEmpty ? _handlers.Remove(methodName) : _handlers.SetItem(methodName, updated);
            }
        }
    }

    internal ImmutableArray<InvocationHandler> GetHandlers(string methodName) =>
        _handlers.TryGetValue(methodName, out var list) ? list : [];

    /// <summary>Called once by a session when it ends, for whatever reason.</summary>
    internal async Task OnSessionEndedAsync(ConnectionSession session, Exception? error, bool allowReconnect)
    {
        bool raiseClosed;
        bool reconnect;
        await _stateLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(_session, session))
            {
                return; // Stopped, or already replaced.
            }

            _session = null;
            reconnect = !_stopping && allowReconnect && _options.ReconnectPolicy is not null;
            raiseClosed = !reconnect;
            _state = reconnect ? HubConnectionState.Reconnecting : HubConnectionState.Disconnected;
            if (reconnect)
            {
                _reconnectCts?.Dispose();
                _reconnectCts = new CancellationTokenSource();
            }
        }
        finally
        {
            _stateLock.Release();
        }

        if (raiseClosed)
        {
            Log.ConnectionClosed(_logger, error?.Message ?? "no error");
            await RaiseAsync(Closed, error).ConfigureAwait(false);
            return;
        }

        Log.ConnectionLost(_logger, error?.Message ?? "closed by the server");
        _ = Task.Run(() => ReconnectLoopAsync(error, _reconnectCts!.Token));
    }

    private async Task ReconnectLoopAsync(Exception? reason, CancellationToken cancellationToken)
    {
        await RaiseAsync(Reconnecting, reason).ConfigureAwait(false);
        var started = _time.GetTimestamp();
        long attempts = 0;
        TimeSpan? previousDelay = null;
        TimeSpan? retryAfter = null;

        while (!cancellationToken.IsCancellationRequested)
        {
            var delay = _options.ReconnectPolicy!.NextRetryDelay(new RetryContext
            {
                PreviousRetryCount = attempts,
                ElapsedTime = _time.GetElapsedTime(started),
                RetryReason = reason,
                PreviousDelay = previousDelay,
                RetryAfter = retryAfter,
            });

            if (delay is null)
            {
                await GiveUpAsync(new MeshConnectionException("reconnect_exhausted", $"Reconnecting gave up after {attempts} attempts.", reason, isRetryable: false)).ConfigureAwait(false);
                return;
            }

            try
            {
                await Task.Delay(delay.Value, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // StopAsync takes it from here.
            }

            attempts++;
            previousDelay = delay;
            Log.Reconnecting(_logger, attempts, delay.Value.TotalMilliseconds);

            var connected = false;
            Exception? fatal = null;
            try
            {
                await _stateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                if (_state != HubConnectionState.Reconnecting)
                {
                    return;
                }

                _session = await ConnectSessionAsync(cancellationToken).ConfigureAwait(false);
                _state = HubConnectionState.Connected;
                connected = true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (MeshAuthenticationException ex)
            {
                fatal = ex;
            }
            catch (MeshConnectionException ex) when (ex.Code == "tls_rejected")
            {
                fatal = ex; // A refused certificate is refused again on the next attempt.
            }
            catch (Exception ex)
            {
                reason = ex;
                retryAfter = (ex as OrbitMeshException)?.RetryAfter;
                Log.ReconnectAttemptFailed(_logger, attempts, ex.Message);
            }
            finally
            {
                _stateLock.Release();
            }

            if (fatal is not null)
            {
                Log.ReconnectRefused(_logger, fatal.Message);
                await GiveUpAsync(fatal).ConfigureAwait(false);
                return;
            }

            if (connected)
            {
                Log.Reconnected(_logger, attempts);
                await RaiseAsync(Reconnected, null).ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task GiveUpAsync(Exception error)
    {
        await _stateLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_state != HubConnectionState.Reconnecting)
            {
                return;
            }

            _state = HubConnectionState.Disconnected;
        }
        finally
        {
            _stateLock.Release();
        }

        Log.ConnectionClosed(_logger, error.Message);
        await RaiseAsync(Closed, error).ConfigureAwait(false);
    }

    private async Task RaiseAsync<T>(Func<T, Task>? handlers, T argument)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Func<T, Task>>())
        {
            try
            {
                await handler(argument).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.EventHandlerFailed(_logger, ex);
            }
        }
    }

    internal sealed record InvocationHandler(Type[] ParameterTypes, Func<object?[], Task<object?>> Callback, bool HasResult);

    private sealed class Registration(HubConnection connection, string methodName, InvocationHandler handler) : IDisposable
    {
        public void Dispose() => connection.RemoveHandler(methodName, handler);
    }
}
