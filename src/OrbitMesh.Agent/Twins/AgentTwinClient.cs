using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Protocol;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Twins;

namespace OrbitMesh.Agent;

/// <summary>A change of the desired properties, as the agent's callback receives it.</summary>
/// <param name="Version">The new desired version.</param>
/// <param name="Desired">The whole desired document.</param>
/// <param name="Patch">What changed since the version the agent had (a JSON merge patch).</param>
public sealed record DesiredChange(long Version, JsonElement Desired, JsonElement Patch);

/// <summary>
/// The agent's side of its twin: the desired properties the server wants (with a callback when they
/// change; each change is acknowledged once the callback returns), and reporting properties.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim without a wait handle needs no disposal.")]
public sealed partial class AgentTwinClient
{
    private readonly HubConnection _connection;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _apply = new(1, 1);
    private Func<DesiredChange, CancellationToken, Task>? _onDesired;

    internal AgentTwinClient(HubConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
    }

    /// <summary>The desired properties (an empty object until the server sends some).</summary>
    public JsonElement Desired { get; private set; } = JsonMergePatch.EmptyObject;

    /// <summary>The desired version applied (0 before any).</summary>
    public long DesiredVersion { get; private set; }

    /// <summary>
    /// Called when the desired properties change (also right after a reconnect when the agent was behind).
    /// The change is acknowledged to the server when the callback returns; if it throws, it is not, and
    /// the server sends it again after the next reconnect.
    /// </summary>
    public void OnDesiredChanged(Func<DesiredChange, CancellationToken, Task> callback) => _onDesired = callback;

    /// <summary>Reports properties as a JSON merge patch (an object: members set, null members removed). Returns the reported version.</summary>
    public async Task<long> ReportAsync(object patch, CancellationToken cancellationToken = default)
    {
        var element = OrbitMeshJson.ToElement(patch);
        if (!JsonMergePatch.IsObject(element))
        {
            throw new ArgumentException("A reported patch must serialize to a JSON object.", nameof(patch));
        }

        try
        {
            var result = await _connection.InvokeAsync<TwinReportResult>(HubMethodNames.ReportProperties, new TwinReport(element!.Value), cancellationToken).ConfigureAwait(false);
            return result.Version;
        }
        catch (HubException ex)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.BadRequest, ex.Message), ex);
        }
    }

    internal async Task OnDesiredAsync(TwinDesired desired)
    {
        if (desired is null)
        {
            return;
        }

        await _apply.WaitAsync().ConfigureAwait(false);
        try
        {
            if (desired.Version <= DesiredVersion && desired.FromVersion != 0)
            {
                return; // Already applied (a repeat).
            }

            var change = new DesiredChange(desired.Version, desired.Desired, desired.Patch);
            if (_onDesired is { } callback)
            {
                try
                {
                    await callback(change, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.CallbackFailed(_logger, desired.Version, ex);
                    return;
                }
            }

            Desired = desired.Desired;
            DesiredVersion = desired.Version;
            Log.Applied(_logger, desired.Version);
        }
        finally
        {
            _apply.Release();
        }

        try
        {
            await _connection.InvokeAsync(HubMethodNames.AcknowledgeDesired, new TwinAck(desired.Version)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HubException || ConnectionLoss.Is(ex))
        {
            // Not acknowledged: the server sends the change again after the next registration; applying it twice is a no-op.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3200, LogLevel.Information, "Applied desired properties version {Version}.")]
        public static partial void Applied(ILogger logger, long version);

        [LoggerMessage(3201, LogLevel.Error, "The desired-properties callback failed for version {Version}; not acknowledged.")]
        public static partial void CallbackFailed(ILogger logger, long version, Exception exception);
    }
}
