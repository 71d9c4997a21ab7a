using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Components;

/// <summary>
/// A page that stays current: it loads when rendered and then, once interactive, reloads what it shows
/// every <see cref="DashboardOptions.RefreshInterval"/> and pushes one render to the browser. However many
/// agents and jobs changed meanwhile, an open page costs one load and one diff per interval.
/// </summary>
public abstract partial class LivePage : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private string? _role;

    [Inject]
    private IOptions<DashboardOptions> Options { get; set; } = default!;

    [Inject]
    private ILogger<LivePage> Logger { get; set; } = default!;

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
            _loop = RefreshLoopAsync();
        }
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.Value.RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(Closing).ConfigureAwait(false))
            {
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
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    private static partial class Log
    {
        [LoggerMessage(6000, LogLevel.Warning, "Dashboard page {Page} could not refresh: {Reason}")]
        public static partial void RefreshFailed(ILogger logger, string page, string reason);
    }
}
