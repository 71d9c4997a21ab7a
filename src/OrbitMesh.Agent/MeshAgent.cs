using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent.Jobs;
using OrbitMesh.Execution;
using OrbitMesh.Protocol;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Agent;

/// <summary>
/// An agent: connects to the server's hub, registers, heartbeats, executes the commands it has handlers
/// for, and reconnects (and registers again) by itself after a network fault or a server restart.
/// Build one with <see cref="MeshAgentBuilder"/> or host it with <c>services.AddOrbitMeshAgent(...)</c>.
/// </summary>
public sealed partial class MeshAgent : IAsyncDisposable
{
    internal const string CommandItem = "orbitmesh.command";
    internal const string HandlerItem = "orbitmesh.handler";
    internal const string StreamSinkItem = "orbitmesh.streamSink";
    internal const string ItemCountItem = "orbitmesh.itemCount";

    private readonly MeshAgentOptions _options;
    private readonly HandlerRegistry _handlers;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HubConnection _connection;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly LoadSampler _load = new();
    private readonly ServiceProvider? _ownedServices;
    private readonly MeshDelegate _pipeline;
    private readonly JobRunner _runner;
    private readonly Func<ReadOnlyMemory<byte>, Task>? _rawHandler;
    private readonly Channel<InvokeRequest> _notifications =
        Channel.CreateBounded<InvokeRequest>(new BoundedChannelOptions(NotificationQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

    private Task _notificationLoop = Task.CompletedTask;

    /// <summary>Sent commands waiting to run, at most; beyond it the connection's reading waits (backpressure to the server).</summary>
    internal const int NotificationQueueCapacity = 1024;
    private Task _heartbeatLoop = Task.CompletedTask;
    private TimeSpan _heartbeatInterval;
    private volatile RegistrationResult? _registration;
    private readonly HttpClient? _ownedHttpClient;
    private MeshConnectionOptions? _connectionOptions;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _presented;
    private Exception? _closeReason;
    private volatile bool _connectedOnce;
    private int _closedRaised;
    private int _activeJobs;
    private int _started;
    private bool _disposed;

    internal MeshAgent(MeshAgentOptions options, HandlerRegistry handlers, IServiceProvider? services, ILoggerFactory loggerFactory, Action<MeshConnectionOptions>? configureConnection,
        IReadOnlyList<Type>? middleware = null, Func<ReadOnlyMemory<byte>, Task>? rawHandler = null)
    {
        _options = options;
        _handlers = handlers;
        if (services is null)
        {
            var provider = new ServiceCollection().AddSingleton(loggerFactory).AddLogging().BuildServiceProvider();
            _services = provider;
            _ownedServices = provider;
        }
        else
        {
            _services = services;
        }

        _logger = loggerFactory.CreateLogger<MeshAgent>();
        _time = options.TimeProvider;
        _slots = new SemaphoreSlim(options.MaxConcurrentJobs, options.MaxConcurrentJobs);
        _heartbeatInterval = TimeSpan.FromSeconds(5);

        if (options.Identity is not null && options.HttpClient is null)
        {
            _ownedHttpClient = new HttpClient(TlsValidation.CreateHandler(ServerCertificateValidation(options)));
        }

        var builder = new HubConnectionBuilder()
            .WithMeshHub(ToHttp(options.HubUrl), o =>
            {
                _connectionOptions = o;
                o.Transports = options.Transports;
                foreach (var failover in options.FailoverServers)
                {
                    o.FailoverUrls.Add(ToHttp(MeshAgentOptions.HubUrlOf(failover)));
                }

                o.StatefulReconnect = options.StatefulReconnect;
                o.HubProtocol = options.HubProtocol;
                o.TimeProvider = _time;
                o.AccessTokenProvider = CreateTokenProvider(options, o);
                ApplyTls(options, o);
                configureConnection?.Invoke(o);
            })
            .WithAutomaticReconnect(new DecorrelatedJitterRetryPolicy(options.ReconnectBaseDelay, options.ReconnectMaxDelay))
            .WithKeepAliveInterval(options.KeepAliveInterval)
            .WithServerTimeout(options.ServerTimeout);
        builder.Services.AddSingleton(loggerFactory);
        _connection = builder.Build();
        _pipeline = MeshPipeline.Build(middleware ?? [], RunHandlerAsync);
        _rawHandler = rawHandler;
        _runner = new JobRunner(_connection, handlers, _pipeline, _services, _slots, options, _logger);
        _connection.On<InvokeRequest, InvokeResult>(HubMethodNames.Invoke, OnInvokeAsync);
        _connection.On<DisconnectNotice>(HubMethodNames.Disconnect, OnDisconnectNotice);
        _connection.On<JobAssignment>(HubMethodNames.AssignJob, _runner.OnAssignAsync);
        _connection.On<JobCancellation>(HubMethodNames.CancelJob, _runner.OnCancelAsync);
        _connection.On<JobInputChunk>(HubMethodNames.JobInput, _runner.OnInputAsync);
        _connection.On<InvokeRequest>(HubMethodNames.Notify, OnNotifyAsync);
        _connection.On<RawMessage>(HubMethodNames.Raw, OnRawAsync);
        Twin = new AgentTwinClient(_connection, _logger);
        _connection.On<TwinDesired>(HubMethodNames.DesiredPropertiesChanged, desired =>
        {
            // Not awaited on the dispatch loop: the callback may take a while, and acknowledging needs the connection.
            _ = Task.Run(() => Twin.OnDesiredAsync(desired));
            return Task.CompletedTask;
        });
        _connection.Reconnecting += OnReconnectingAsync;
        _connection.Reconnected += OnReconnectedAsync;
        _connection.Closed += OnClosedAsync;
    }

    /// <summary>The server certificate check and client certificate from the agent's settings.</summary>
    internal static void ApplyTls(MeshAgentOptions options, MeshConnectionOptions connection)
    {
        connection.ServerCertificateValidation = ServerCertificateValidation(options) ?? connection.ServerCertificateValidation;

        if (options.ClientCertificate is { } certificate)
        {
            connection.ClientCertificates.Add(certificate);
        }
    }

    /// <summary>The official client wants an http(s) URL; the agent also accepts ws(s).</summary>
    private static Uri ToHttp(Uri url) => url.Scheme switch
    {
        "ws" => new UriBuilder(url) { Scheme = "http", Port = url.IsDefaultPort ? -1 : url.Port }.Uri,
        "wss" => new UriBuilder(url) { Scheme = "https", Port = url.IsDefaultPort ? -1 : url.Port }.Uri,
        _ => url,
    };

    /// <summary>
    /// The bearer token for each connect: the shared token, or for an enrolled node a fresh proof (and, over
    /// https, its possibly just renewed certificate for mutual TLS).
    /// </summary>
    private Func<Task<string?>>? CreateTokenProvider(MeshAgentOptions options, MeshConnectionOptions connection)
    {
        if (options.Token is { Length: > 0 } token)
        {
            return () => Task.FromResult<string?>(token);
        }

        if (options.Identity is not { } identity)
        {
            return null;
        }

        // The proof's challenge comes from the server the connect goes to (with failover servers, the current one).
        var http = options.HttpClient ?? _ownedHttpClient!;
        var enrollments = new[] { options.Server! }.Concat(options.FailoverServers)
            .Select(server => (Hub: ToHttp(MeshAgentOptions.HubUrlOf(server)), Client: new Security.NodeEnrollmentClient(http, server)))
            .ToArray();
        var time = options.TimeProvider;
        var presentCertificate = options.ClientCertificate is null && options.HubUrl.Scheme is "https" or "wss";
        return async () =>
        {
            var current = connection.CurrentUrl;
            var enrollment = Array.Find(enrollments, e => e.Hub == current).Client ?? enrollments[0].Client;
            var credential = await enrollment.ConnectCredentialAsync(identity, time, _stopping.Token).ConfigureAwait(false);
            if (presentCertificate)
            {
                PresentNodeCertificate(identity, connection.ClientCertificates);
            }

            return credential;
        };
    }

    /// <summary>
    /// How the agent checks the server's certificate: the pinned fingerprint, else the trusted authority,
    /// else the fingerprint an enrolled node learned at enrollment; null for the operating system's trust.
    /// </summary>
    internal static System.Net.Security.RemoteCertificateValidationCallback? ServerCertificateValidation(MeshAgentOptions options) =>
        options.ServerCertificateFingerprint is { } fingerprint ? TlsValidation.PinnedFingerprint(fingerprint)
        : options.TrustedCertificateAuthority is { } authority ? TlsValidation.TrustedAuthority(authority)
        : options.Identity?.ServerFingerprint is { } learned ? TlsValidation.PinnedFingerprint(learned)
        : null;

    private void PresentNodeCertificate(Security.NodeIdentity identity, System.Security.Cryptography.X509Certificates.X509CertificateCollection certificates)
    {
        // The transport reads the collection at each TLS handshake, under the same lock.
        lock (certificates)
        {
            if (identity.Certificate is not { } current || _presented?.SerialNumber == current.SerialNumber)
            {
                return;
            }

            certificates.Clear();
            _presented?.Dispose();
            _presented = identity.CertificateWithKey();
            certificates.Add(_presented!);
        }
    }

    /// <summary>Raised when the agent's connection is closed for good; the argument says why (null when stopped).</summary>
    public event Func<Exception?, Task>? Closed;

    /// <summary>Raised when the connection was lost and reconnecting begins.</summary>
    public event Func<Exception?, Task>? Reconnecting;

    /// <summary>Raised when the agent reconnected and registered again.</summary>
    public event Func<RegistrationResult, Task>? Reconnected;

    /// <summary>The agent's id.</summary>
    public string Id => _options.EffectiveId;

    /// <summary>The agent's twin: desired properties from the server, reported properties to it.</summary>
    public AgentTwinClient Twin { get; }

    /// <summary>The hub URL of the server the agent is connected to (one of <see cref="MeshAgentOptions.FailoverServers"/> after a failover); null while not connected.</summary>
    public Uri? ConnectedServer => _connection.State == HubConnectionState.Connected ? _connectionOptions?.CurrentUrl : null;

    /// <summary>The connection's state.</summary>
    public HubConnectionState State => _connection.State;

    /// <summary>True when connected and registered.</summary>
    public bool IsRegistered => _registration is not null && _connection.State == HubConnectionState.Connected;

    /// <summary>The server's answer to the latest registration.</summary>
    public RegistrationResult? Registration => _registration;

    /// <summary>Commands executing now: jobs and communication-level invocations.</summary>
    public int ActiveJobs => Volatile.Read(ref _activeJobs) + _runner.RunningCount;

    /// <summary>Job completions waiting for the server to confirm them (kept across reconnects).</summary>
    public int PendingCompletions => _runner.PendingCompletions;

    /// <summary>The commands this agent has handlers for.</summary>
    public IReadOnlyCollection<string> Commands => _handlers.Commands;

    /// <summary>
    /// Connects, registers and starts heartbeating. Throws <see cref="MeshAuthenticationException"/>
    /// when the server refuses the token, <see cref="MeshRegistrationException"/> when it refuses the
    /// registration, and <see cref="MeshConnectionException"/> when it cannot be reached (unless
    /// <see cref="MeshAgentOptions.RetryInitialConnection"/> is set).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The agent was already started; an agent connects once (it reconnects by itself).");
        }

        var registration = BuildRegistration();
        var errors = RegistrationValidator.Validate(registration);
        if (errors.Count > 0)
        {
            throw new MeshRegistrationException("The agent's registration is invalid: " + string.Join(" ", errors));
        }

        var policy = new DecorrelatedJitterRetryPolicy(_options.ReconnectBaseDelay, _options.ReconnectMaxDelay);
        TimeSpan? previous = null;
        var started = _time.GetTimestamp();
        for (long attempt = 0; ; attempt++)
        {
            await StartConnectionAsync(_options.RetryInitialConnection, cancellationToken).ConfigureAwait(false);
            try
            {
                await RegisterAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is not MeshRegistrationException && ConnectionLoss.Is(ex, cancellationToken))
            {
                // The connection went while registering (a server restarting, say).
                await _connection.StopAsync(CancellationToken.None).ConfigureAwait(false);
                if (!_options.RetryInitialConnection)
                {
                    throw new MeshConnectionException($"The connection was lost while registering: {ex.Message}", ex);
                }

                var delay = policy.NextDelay(attempt, _time.GetElapsedTime(started), previous, null)!.Value;
                previous = delay;
                Log.ConnectRetry(_logger, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await _connection.StopAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        _connectedOnce = true;

        _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(_stopping.Token), CancellationToken.None);
        _notificationLoop = Task.Run(() => NotificationLoopAsync(_stopping.Token), CancellationToken.None);
    }

    /// <summary>
    /// Drains (refuses new work, lets running jobs finish for up to <see cref="MeshAgentOptions.DrainTimeout"/>,
    /// gives back the rest, delivers completions), then stops heartbeating and closes the connection.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_stopping.IsCancellationRequested && _started != 0)
        {
            try
            {
                if (IsRegistered)
                {
                    await _connection.InvokeAsync(HubMethodNames.ReportStatus, new AgentStatusReport(AgentStatus.Stopping, "draining before stopping"), cancellationToken).ConfigureAwait(false);
                }

                await _runner.DrainAsync(_options.DrainTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HubException || (ex is not (OperationCanceledException or TimeoutException) && ConnectionLoss.Is(ex, cancellationToken)))
            {
                Log.DrainIncomplete(_logger, ex.Message);
                await _runner.DrainAsync(_options.DrainTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                Log.DrainIncomplete(_logger, ex.Message);
            }
        }

        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _connection.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_connectedOnce)
        {
            // The official client raises Closed on the thread pool after StopAsync returned; the agent's Closed
            // has been raised (once) when its StopAsync returns.
            await RaiseClosedAsync(null).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_heartbeatLoop, _notificationLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();

        // _slots is not disposed: a handler that ignores cancellation may still finish and release its
        // slot after this, and a SemaphoreSlim whose wait handle was never used holds nothing to free.
        _ownedServices?.Dispose();
        _ownedHttpClient?.Dispose();
        _presented?.Dispose();
    }

    internal AgentRegistration BuildRegistration() => new()
    {
        Id = _options.EffectiveId,
        Name = _options.Name,
        Capabilities = [.. _options.Capabilities],
        Groups = [.. _options.Groups],
        Commands = [.. _handlers.Commands.Order(StringComparer.Ordinal)],
        Metadata = _options.Metadata.Count == 0 ? null : new Dictionary<string, string>(_options.Metadata),
        MaxConcurrentJobs = _options.MaxConcurrentJobs,
        Version = AgentInfoVersion.Value,
        Jobs = _runner.HeldJobs is { Count: > 0 } held ? held : null,
        DesiredVersion = Twin.DesiredVersion,
    };

    private async Task StartConnectionAsync(bool retry, CancellationToken cancellationToken)
    {
        if (!retry)
        {
            await _connection.StartMeshAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var policy = new DecorrelatedJitterRetryPolicy(_options.ReconnectBaseDelay, _options.ReconnectMaxDelay);
        TimeSpan? previous = null;
        var started = _time.GetTimestamp();
        for (long attempt = 0; ; attempt++)
        {
            try
            {
                await _connection.StartMeshAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (MeshConnectionException ex) when (ex is not MeshAuthenticationException && ex.IsRetryable)
            {
                var delay = policy.NextDelay(attempt, _time.GetElapsedTime(started), previous, ex.RetryAfter)!.Value;
                previous = delay;
                Log.ConnectRetry(_logger, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Connects again after the server closed the connection. The official client reconnects by itself only
    /// when the transport is lost: a server that aborts a connection (its sweep of silent connections, a node
    /// credential that expired) sends Close without "allow reconnect", and the client stops for good. The
    /// agent starts over and registers again, unless it is stopping or was told not to come back.
    /// </summary>
    private async Task RestartAsync()
    {
        try
        {
            await StartConnectionAsync(retry: true, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            await RaiseClosedAsync(null).ConfigureAwait(false);
            return;
        }
        catch (MeshConnectionException ex)
        {
            _closeReason = ex;
            await RaiseClosedAsync(ex).ConfigureAwait(false);
            return;
        }

        await OnReconnectedAsync(_connection.ConnectionId).ConfigureAwait(false);
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        _registration = null;
        RegistrationResult result;
        try
        {
            var registration = BuildRegistration();
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.RegisteringWithHeldJobs(_logger, registration.Jobs?.Count ?? 0, string.Join(", ", registration.Jobs?.Select(j => $"{j.JobId}#{j.Attempt}/{j.FencingToken}") ?? []));
            }

            result = await _connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, registration, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException ex)
        {
            Log.RegistrationRefused(_logger, ex.Message);
            throw new MeshRegistrationException($"The server refused the registration: {ex.Message}", ex);
        }

        _heartbeatInterval = TimeSpan.FromMilliseconds(Math.Max(10, result.HeartbeatIntervalMs));
        _runner.ServerClockOffset = result.ServerTime == default ? TimeSpan.Zero : result.ServerTime - _time.GetUtcNow();
        _registration = result;
        Log.Registered(_logger, result.AgentId, result.HeartbeatIntervalMs, result.ReplacedExisting);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        var lastBeat = _time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            // Each beat comes 90 to 100 % of the interval after the previous one started (never late):
            // agents that registered in the same instant, as after a server restart, drift apart instead
            // of beating in lockstep. The round trip of the previous beat counts against the delay, so a
            // slow acknowledgement does not push every later beat back towards the Unreachable threshold.
            var delay = (_heartbeatInterval * (0.9 + (0.1 * Random.Shared.NextDouble()))) - _time.GetElapsedTime(lastBeat);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }

            lastBeat = _time.GetTimestamp();
            if (!IsRegistered)
            {
                continue;
            }

            try
            {
                var (cpu, workingSet) = _load.Sample(_time);
                var ack = await _connection.InvokeAsync<HeartbeatAck>(HubMethodNames.Heartbeat, new AgentHeartbeat
                {
                    ActiveJobs = ActiveJobs,
                    MaxConcurrentJobs = _options.MaxConcurrentJobs,
                    CpuPercent = cpu,
                    WorkingSetBytes = workingSet,
                    Jobs = _runner.HeldJobs is { Count: > 0 } held ? held : null,
                }, cancellationToken).WaitAsync(_heartbeatInterval * 2, _time, cancellationToken).ConfigureAwait(false);
                if (ack.HeartbeatIntervalMs > 0)
                {
                    _heartbeatInterval = TimeSpan.FromMilliseconds(ack.HeartbeatIntervalMs);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HubException || ConnectionLoss.Is(ex, cancellationToken))
            {
                Log.HeartbeatFailed(_logger, ex.Message);
            }
        }
    }

    private async Task<InvokeResult> OnInvokeAsync(InvokeRequest request)
    {
        if (request is null || string.IsNullOrEmpty(request.Command))
        {
            return InvokeResult.Fail(new JobError(MeshErrorCodes.BadRequest, "The invocation has no command."));
        }

        if (!_handlers.TryGet(request.Command, out var handler))
        {
            Log.UnknownCommand(_logger, request.Command);
            return InvokeResult.Fail(new JobError(MeshErrorCodes.UnknownCommand, $"Agent '{Id}' has no handler for '{request.Command}'."));
        }

        if (!_slots.Wait(0))
        {
            return InvokeResult.Fail(new JobError(MeshErrorCodes.Busy, $"Agent '{Id}' is running {_options.MaxConcurrentJobs} commands, its limit."));
        }

        var run = RunOnceAsync(request, handler, CancellationToken.None);
        try
        {
            if (request.TimeoutMs is not > 0)
            {
                return await run.ConfigureAwait(false);
            }

            // A handler that ignores its cancellation (a blocking read, say) would hold the slot forever:
            // past its timeout and a grace period the caller gets the timeout and the slot is freed; the
            // handler's late outcome is dropped.
            var deadline = TimeSpan.FromMilliseconds(request.TimeoutMs.Value) + InvokeTimeoutGrace;
            using var stop = new CancellationTokenSource();
            var finished = await Task.WhenAny(run, Task.Delay(deadline, _time, stop.Token)).ConfigureAwait(false);
            if (finished == run)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                return await run.ConfigureAwait(false);
            }

            Log.HandlerIgnoredTimeout(_logger, request.Command, request.TimeoutMs.Value);
            _ = run.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return InvokeResult.Fail(new JobError(MeshErrorCodes.Timeout, $"'{request.Command}' did not finish within {request.TimeoutMs} ms and ignored its cancellation; its slot was freed."));
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>How long past its timeout a handler that ignores cancellation may keep an invocation slot.</summary>
    internal static readonly TimeSpan InvokeTimeoutGrace = TimeSpan.FromSeconds(1);

    /// <summary>Runs a handler once through the agent middleware, for an invocation or a sent command.</summary>
    private async Task<InvokeResult> RunOnceAsync(InvokeRequest request, HandlerRegistration handler, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _activeJobs);
        using var timeout = request.TimeoutMs is > 0 and var ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, timeout.Token, cancellationToken);
        var scope = _services.CreateAsyncScope();
        try
        {
            var command = new MeshCommand(request.Command, request.Parameters, scope.ServiceProvider, request.CorrelationId);
            var context = new MeshContext(MeshSide.Agent, MeshIds.New("inv"), request.Command, request.Parameters, scope.ServiceProvider, linked.Token)
            {
                AgentId = Id,
                CorrelationId = request.CorrelationId,
            };
            context.Items[CommandItem] = command;
            context.Items[HandlerItem] = handler;
            await _pipeline(context).ConfigureAwait(false);
            return context.Result is { } result
                ? result.IsSuccess ? InvokeResult.Ok(result.Result) : InvokeResult.Fail(result.Error ?? new JobError(MeshErrorCodes.HandlerFailed, "Failed."))
                : InvokeResult.Fail(new JobError(MeshErrorCodes.Internal, "An agent middleware ended the call without a result."));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return InvokeResult.Fail(new JobError(MeshErrorCodes.Timeout, $"'{request.Command}' did not finish within {request.TimeoutMs} ms."));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return InvokeResult.Fail(new JobError(MeshErrorCodes.Cancelled, $"Agent '{Id}' is shutting down."));
        }
        catch (OrbitMeshException ex) when (ex is MeshParameterException or MeshAccessDeniedException or MeshHandlerException)
        {
            return InvokeResult.Fail(new JobError(ex.Code, ex.Message, ex.GetType().FullName));
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, request.Command, ex);
            return InvokeResult.Fail(JobError.FromException(ex, _options.IncludeErrorDetails));
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
            Interlocked.Decrement(ref _activeJobs);
        }
    }

    /// <summary>The end of the agent pipeline: run the handler (streaming its items when the job streams).</summary>
    private static async Task RunHandlerAsync(MeshContext context)
    {
        var command = (MeshCommand)context.Items[CommandItem]!;
        var handler = (HandlerRegistration)context.Items[HandlerItem]!;
        object? result = null;
        if (context.Items.TryGetValue(StreamSinkItem, out var sink) && sink is Func<IAsyncEnumerable<object?>, CancellationToken, Task<long>> send)
        {
            context.Items[ItemCountItem] = await send(handler.StreamAsync(command, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await handler.ExecuteAsync(command, context.CancellationToken).ConfigureAwait(false);
        }

        context.Result = new JobResult { JobId = context.JobId, Status = JobStatus.Completed, Result = OrbitMeshJson.ToElement(result) };
    }

    /// <summary>Queues a sent command; waiting here (when the queue is full) slows the connection down instead of dropping it.</summary>
    private async Task OnNotifyAsync(InvokeRequest request)
    {
        if (request is null || !_handlers.TryGet(request.Command, out _))
        {
            Log.UnknownCommand(_logger, request?.Command ?? "(none)");
            return;
        }

        try
        {
            await _notifications.Writer.WriteAsync(request, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs sent commands one at a time, in the order they arrived.</summary>
    private async Task NotificationLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var request in _notifications.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_handlers.TryGet(request.Command, out var handler))
                {
                    var result = await RunOnceAsync(request, handler, cancellationToken).ConfigureAwait(false);
                    if (!result.Success)
                    {
                        Log.NotifyFailed(_logger, request.Command, result.Error?.Message ?? "-");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task OnRawAsync(RawMessage message)
    {
        if (_rawHandler is null || message?.Payload is null)
        {
            Log.RawIgnored(_logger);
            return;
        }

        try
        {
            await _rawHandler(message.Payload).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, "(raw)", ex);
        }
    }

    private void OnDisconnectNotice(DisconnectNotice notice)
    {
        Log.DisconnectNotice(_logger, notice.Code, notice.Reason, notice.Reconnect);
        if (!notice.Reconnect)
        {
            _closeReason = new MeshConnectionException(notice.Code, notice.Reason, null, isRetryable: false);
            _stopping.Cancel();
            _runner.StopAll(MeshErrorCodes.AgentShutdown);

            // Not awaited: this runs on the connection's dispatch loop, which StopAsync waits for.
            _ = _connection.StopAsync(CancellationToken.None);
        }
    }

    private Task OnReconnectingAsync(Exception? error)
    {
        _registration = null;
        Log.Reconnecting(_logger, error?.Message ?? "connection closed");
        return Reconnecting?.Invoke(error) ?? Task.CompletedTask;
    }

    private async Task OnReconnectedAsync(string? connectionId)
    {
        try
        {
            await RegisterAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (MeshRegistrationException ex)
        {
            _closeReason = ex;
            _ = _connection.StopAsync(CancellationToken.None);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException || ConnectionLoss.Is(ex))
        {
            // The connection dropped again; the next reconnect registers.
            Log.ReregistrationInterrupted(_logger, ex.Message);
            return;
        }

        try
        {
            await _runner.FlushCompletionsAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (Reconnected is { } handler && _registration is { } registration)
        {
            await handler(registration).ConfigureAwait(false);
        }
    }

    private Task OnClosedAsync(Exception? error)
    {
        _registration = null;
        if (_connectedOnce && _closeReason is null && !_stopping.IsCancellationRequested)
        {
            _ = Task.Run(RestartAsync);
            return OnReconnectingAsync(error);
        }

        return RaiseClosedAsync(error);
    }

    private Task RaiseClosedAsync(Exception? error)
    {
        if (Interlocked.Exchange(ref _closedRaised, 1) != 0)
        {
            return Task.CompletedTask;
        }

        var reason = _closeReason ?? error;
        if (reason is null)
        {
            Log.Closed(_logger);
        }
        else
        {
            Log.ClosedWithError(_logger, reason.Message);
        }

        return Closed?.Invoke(reason) ?? Task.CompletedTask;
    }

    private static class AgentInfoVersion
    {
        public static readonly string Value =
            (typeof(MeshAgent).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0];
    }
}
