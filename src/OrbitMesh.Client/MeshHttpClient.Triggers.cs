using System.Net;
using System.Text;
using System.Text.Json;
using OrbitMesh.Workflows;

namespace OrbitMesh.Client;

/// <summary>Triggers over REST (<c>/api/triggers</c>): what starts workflow runs without a caller, such as a cron schedule.</summary>
public sealed partial class MeshHttpClient
{
    /// <summary>
    /// Creates or replaces a trigger (operator). The server validates it (a cron schedule that never fires,
    /// an unknown time zone, members of another kind are refused with every error). A new webhook
    /// trigger's secret is in the answer, this once.
    /// </summary>
    public async Task<SavedTrigger> SaveTriggerAsync(WorkflowTrigger trigger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/triggers")
        {
            Content = new StringContent(WorkflowTriggerDocument.Serialize(trigger, WorkflowDocumentFormat.Json), Encoding.UTF8, "application/json"),
        };
        using var response = await WorkflowCallAsync(request, cancellationToken).ConfigureAwait(false);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        var root = body.RootElement;
        return new SavedTrigger(
            root.GetProperty("name").GetString()!,
            root.GetProperty("created").GetBoolean(),
            root.TryGetProperty("secret", out var secret) && secret.ValueKind == JsonValueKind.String ? secret.GetString() : null);
    }

    /// <summary>
    /// Runs <paramref name="workflow"/> (a registered one, its latest version when it fires) on the cron
    /// <paramref name="schedule"/> (five fields, six with seconds first, or a macro such as <c>@hourly</c>)
    /// in <paramref name="timeZone"/> (null: UTC), once per scheduled time across every server sharing
    /// the store: the seed's <c>mesh.Schedule(cronExpr, ...)</c>. Creates or replaces the trigger
    /// <paramref name="name"/>.
    /// </summary>
    public Task<SavedTrigger> ScheduleWorkflowAsync(string name, string schedule, string workflow, object? parameters = null, string? timeZone = null, CancellationToken cancellationToken = default) =>
        SaveTriggerAsync(
            new WorkflowTrigger
            {
                Name = name,
                Workflow = workflow,
                Kind = WorkflowTriggerKind.Cron,
                Schedule = schedule,
                TimeZone = timeZone,
                Parameters = OrbitMeshJson.ToElement(parameters),
            },
            cancellationToken);

    /// <summary>Every trigger with its state (next and last firing, runs started, last error); never a secret.</summary>
    public async Task<IReadOnlyList<WorkflowTriggerInfo>> ListTriggersAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/triggers");
        using var response = await WorkflowCallAsync(request, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<List<WorkflowTriggerInfo>>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), WorkflowTriggerJson.Options) ?? [];
    }

    /// <summary>One trigger with its state, or null when there is none by that name.</summary>
    public async Task<WorkflowTriggerInfo?> GetTriggerAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/triggers/" + Uri.EscapeDataString(name));
        using var response = await SendUncheckedAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<WorkflowTriggerInfo>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), WorkflowTriggerJson.Options);
    }

    /// <summary>Deletes a trigger (operator); false when there was none. The runs it started stay.</summary>
    public async Task<bool> DeleteTriggerAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "api/triggers/" + Uri.EscapeDataString(name));
        using var response = await SendUncheckedAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
