using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Dashboard.Live;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Components;

/// <summary>
/// A page that stays current without a manual refresh. Once interactive, it reloads what it shows when the
/// server reports a change it cares about (<see cref="Wants"/>), at most once per
/// <see cref="DashboardOptions.PushInterval"/> (the events of the interval are gathered into one load and
/// one render), and every <see cref="DashboardOptions.RefreshInterval"/> otherwise, for what has no event.
/// </summary>
public abstract partial class LivePage : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task _loop = Task.CompletedTask;
    private string? _role;
    private int _stale;
    private bool _subscribed;

    [Inject]
    private IOptions<DashboardOptions> Options { get; set; } = default!;

    [Inject]
    private ILogger<LivePage> Logger { get; set; } = default!;

    [Inject]
    private TimeProvider Time { get; set; } = default!;

    [Inject]
    private DashboardChangeFeed Feed { get; set; } = default!;

    [CascadingParameter]
    private Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>Rows per page.</summary>
    protected int PageSize => Options.Value.PageSize;

    /// <summary>Ends when the page is closed.</summary>
    protected CancellationToken Closing => _stop.Token;

    /// <summary>True when the signed-in user may do what <paramref name="role"/> may (the server checks again on every action).</summary>
    protected bool Can(string role) => OrbitMeshRoles.Includes(_role, role);

    /// <summary>Operators act on jobs, runs and agents.</summary>
    protected bool IsOperator => Can(OrbitMeshRoles.Operator);

    /// <summary>Admins approve nodes and manage tokens.</summary>
    protected bool IsAdmin => Can(OrbitMeshRoles.Admin);

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>True when a change of <paramref name="kind"/> to <paramref name="id"/> may alter what the page shows (called on the server's event path: keep it cheap).</summary>
    internal virtual bool Wants(DashboardChangeKind kind, string id) => false;

    /// <summary>Starts what else tells the page about changes (a run's event stream); called once the page is interactive.</summary>
    protected virtual Task WatchAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Marks the page stale: it reloads and renders within the push interval.</summary>
    protected void MarkStale()
    {
        if (Interlocked.Exchange(ref _stale, 1) == 0 && _wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
            {
                // Already awake, or the page has just closed: this runs on the server's event path and never throws.
            }
        }
    }

    /// <inheritdoc />
    protected override void OnInitialized()
    {
        // Subscribed before the first load: a change between that load and the loop's start is not missed.
        if (RendererInfo.IsInteractive)
        {
            Feed.Changed += OnChanged;
            _subscribed = true;
        }
    }

    /// <inheritdoc />
    protected override async Task OnParametersSetAsync()
    {
        if (AuthenticationState is not null)
        {
            _role = (await AuthenticationState.ConfigureAwait(true)).User.FindFirst(ApiAuthenticationDefaults.RoleClaim)?.Value;
        }

        await LoadAsync(Closing).ConfigureAwait(true);
    }

    /// <summary>Reloads now (after the user changed a filter or a page).</summary>
    protected Task ReloadAsync() => LoadAsync(Closing);

    /// <inheritdoc />
    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            _loop = Task.WhenAll(RefreshLoopAsync(), WatchGuardedAsync());
        }
    }

    private void OnChanged(DashboardChangeKind kind, string id)
    {
        if (Wants(kind, id))
        {
            MarkStale();
        }
    }

    private async Task WatchGuardedAsync()
    {
        try
        {
            await WatchAsync(Closing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Closing.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The periodic reload still keeps the page current.
            Log.WatchFailed(Logger, GetType().Name, ex.Message);
        }
    }

    private async Task RefreshLoopAsync()
    {
        var options = Options.Value;
        try
        {
            while (!Closing.IsCancellationRequested)
            {
                await WaitForChangeAsync(options.RefreshInterval).ConfigureAwait(false);
                Interlocked.Exchange(ref _stale, 0);
                await InvokeAsync(async () =>
                {
                    try
                    {
                        await LoadAsync(Closing).ConfigureAwait(true);
                        StateHasChanged();
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.RefreshFailed(Logger, GetType().Name, ex.Message);
                    }
                }).ConfigureAwait(false);

                // What arrives now is gathered into the next render.
                await Task.Delay(options.PushInterval, Time, Closing).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Returns when the page was marked stale or <paramref name="interval"/> passed.</summary>
    private async Task WaitForChangeAsync(TimeSpan interval)
    {
        if (Volatile.Read(ref _stale) == 1)
        {
            return;
        }

        using var tick = CancellationTokenSource.CreateLinkedTokenSource(Closing);
        var woken = _wake.WaitAsync(tick.Token);
        var elapsed = Task.Delay(interval, Time, tick.Token);
        await Task.WhenAny(woken, elapsed).ConfigureAwait(false);
        await tick.CancelAsync().ConfigureAwait(false);
        Closing.ThrowIfCancellationRequested();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_subscribed)
        {
            Feed.Changed -= OnChanged;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
        GC.SuppressFinalize(this);
    }

    private static partial class Log
    {
        [LoggerMessage(6000, LogLevel.Warning, "Dashboard page {Page} could not refresh: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string page, string reason);

        [LoggerMessage(6001, LogLevel.Warning, "Dashboard page {Page} stopped watching for changes (it still reloads periodically): {Reason}")]
        public static partial void WatchFailed(ILogger logger, string page, string reason);
    }
}
