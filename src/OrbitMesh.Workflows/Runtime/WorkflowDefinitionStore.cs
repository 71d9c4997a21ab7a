using System.Text.Json;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows;

/// <summary>
/// Registered definitions, each version kept: stream <c>workflow-definition-{name}</c> holds one
/// <c>definition.registered</c> event per version, and <c>workflow-definitions</c> names every
/// workflow once. A version, once registered, never changes: registering it again with other
/// content is refused, and a run keeps the version it started with.
/// </summary>
public sealed class WorkflowDefinitionStore(IEventStore events) : IDisposable
{
    /// <summary>The stream naming every registered workflow.</summary>
    public const string IndexStream = "workflow-definitions";

    private const string Registered = "definition.registered";
    private const string Named = "definition.named";

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, SortedDictionary<int, Entry>> _byName = new(StringComparer.Ordinal);
    private bool _loaded;

    /// <summary>The stream of one workflow's versions.</summary>
    public static string StreamOf(string name) => $"workflow-definition-{name}";

    /// <summary>
    /// Registers a definition (validated first). Registering a version again with the same content is
    /// a no-op; with other content it is refused. A definition built in code keeps its code-only members
    /// (conditions, configure actions) for runs on this server.
    /// </summary>
    /// <returns>True when the version is new.</returns>
    /// <exception cref="WorkflowValidationException">The definition is invalid.</exception>
    /// <exception cref="WorkflowVersionConflictException">The version exists with other content.</exception>
    public async Task<bool> RegisterAsync(WorkflowDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        WorkflowValidator.ThrowIfInvalid(definition);
        var json = WorkflowJson.Serialize(definition);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
            if (_byName.TryGetValue(definition.Name, out var versions) && versions.TryGetValue(definition.Version, out var existing))
            {
                if (!string.Equals(existing.Json, json, StringComparison.Ordinal))
                {
                    throw new WorkflowVersionConflictException(definition.Name, definition.Version, versions.Keys.Max());
                }

                if (definition.HasCodeOnlyMembers || HasClrTypes(definition))
                {
                    versions[definition.Version] = existing with { Definition = definition };
                }

                return false;
            }

            var stream = StreamOf(definition.Name);
            var version = await events.GetVersionAsync(stream, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(json);
            await events.AppendAsync(stream, version, [new EventData(Registered, document.RootElement.Clone())], cancellationToken).ConfigureAwait(false);
            if (versions is null)
            {
                var indexVersion = await events.GetVersionAsync(IndexStream, cancellationToken).ConfigureAwait(false);
                await events.AppendAsync(IndexStream, indexVersion, [new EventData(Named, JsonSerializer.SerializeToElement(new NameEntry(definition.Name), OrbitMeshJson.Options))], cancellationToken).ConfigureAwait(false);
                versions = [];
                _byName[definition.Name] = versions;
            }

            versions[definition.Version] = new Entry(definition, json);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The latest version of a workflow, or the given one; null when not registered.</summary>
    public async Task<WorkflowDefinition?> GetAsync(string name, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_byName.TryGetValue(name, out var versions) || versions.Count == 0)
            {
                return null;
            }

            return version is { } v ? versions.GetValueOrDefault(v)?.Definition : versions.Values.Last().Definition;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Every workflow with its versions, by name.</summary>
    public async Task<IReadOnlyList<WorkflowDefinitionInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. _byName.OrderBy(pair => pair.Key, StringComparer.Ordinal)
                .Where(pair => pair.Value.Count > 0)
                .Select(pair => new WorkflowDefinitionInfo(pair.Key, pair.Value.Keys.Max(), [.. pair.Value.Keys], pair.Value.Values.Last().Definition.Description, pair.Value.Values.Last().Definition.Steps.Count))];
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads the registered definitions from the event store once.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private async Task LoadCoreAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        foreach (var named in await events.LoadAsync(IndexStream, 1, cancellationToken).ConfigureAwait(false))
        {
            if (named.Payload.Deserialize<NameEntry>(OrbitMeshJson.Options)?.Name is not { } name || _byName.ContainsKey(name))
            {
                continue;
            }

            var versions = new SortedDictionary<int, Entry>();
            foreach (var registered in await events.LoadAsync(StreamOf(name), 1, cancellationToken).ConfigureAwait(false))
            {
                var json = registered.Payload.GetRawText();
                var definition = WorkflowJson.Deserialize(json);
                versions[definition.Version] = new Entry(definition, WorkflowJson.Serialize(definition));
            }

            _byName[name] = versions;
        }

        _loaded = true;
    }

    private static bool HasClrTypes(WorkflowDefinition definition) =>
        definition.Steps.Any(step => step.StepClrType is not null || step.Compensation?.StepClrType is not null) || definition.OnFailure?.StepClrType is not null;

    private sealed record Entry(WorkflowDefinition Definition, string Json);

    private sealed record NameEntry(string Name);
}

/// <summary>A registered workflow: its name, latest version, every version, description and step count.</summary>
public sealed record WorkflowDefinitionInfo(string Name, int LatestVersion, IReadOnlyList<int> Versions, string? Description, int Steps);

/// <summary>A workflow version is already registered with other content.</summary>
public sealed class WorkflowVersionConflictException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowVersionConflictException(string name, int version, int latest)
        : base("workflow_version_conflict", $"Version {version} of workflow '{name}' is already registered with other content; a registered version never changes. Register it as version {latest + 1}.")
    {
        Name = name;
        Version = version;
    }

    /// <summary>Creates the exception from a server's message (the remote client).</summary>
    public WorkflowVersionConflictException(string message)
        : base("workflow_version_conflict", message)
    {
        Name = string.Empty;
    }

    /// <summary>The workflow.</summary>
    public string Name { get; }

    /// <summary>The version.</summary>
    public int Version { get; }
}
