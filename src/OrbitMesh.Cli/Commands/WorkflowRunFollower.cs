using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// Follows a run's event stream and folds it into its state, calling back after each event. A
/// dropped connection is resumed with <c>Last-Event-ID</c>, so no event is missed or seen twice.
/// </summary>
internal static class WorkflowRunFollower
{
    private const int MaxReconnects = 20;

    public static async Task<WorkflowRunState?> FollowAsync(HttpClient http, string runId, Action<WorkflowRunState> changed, CancellationToken cancellationToken)
    {
        WorkflowRunState? state = null;
        var pending = new List<WorkflowRunEvent>();
        long last = 0;
        for (var reconnects = 0; ; reconnects++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"api/workflow-runs/{Uri.EscapeDataString(runId)}/events");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                if (last > 0)
                {
                    request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
                }

                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new CliException($"The server answered {(int)response.StatusCode} to the events of run {runId}.");
                }

                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    if (!line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var e = JsonSerializer.Deserialize<WorkflowRunEvent>(line.AsSpan(5).Trim(), OrbitMeshJson.Options)!;
                    if (e.Sequence <= last)
                    {
                        continue;
                    }

                    last = e.Sequence;
                    pending.Add(e);
                    if (state is null)
                    {
                        state = WorkflowRunState.Replay(runId, pending);
                    }
                    else
                    {
                        state.Apply(e);
                    }

                    changed(state);
                    if (e.Type == WorkflowRunEventTypes.RunFinished)
                    {
                        return state;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException && reconnects < MaxReconnects && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(reconnects + 1, 10)), cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (reconnects >= MaxReconnects)
            {
                throw new CliException($"Lost the event stream of run {runId} {MaxReconnects} times; see 'orbitmesh workflows show {runId}'.");
            }
        }
    }
}
