using System.Text.Json;

namespace OrbitMesh.Agent;

/// <summary>
/// What a handler receives: the command name, its JSON parameters, and context.
/// </summary>
public sealed class MeshCommand
{
    /// <summary>Creates a command.</summary>
    public MeshCommand(string command, JsonElement? parameters, IServiceProvider services, string? correlationId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(services);
        Command = command;
        Parameters = parameters is { ValueKind: not JsonValueKind.Undefined } p ? p : null;
        Services = services;
        CorrelationId = correlationId;
    }

    /// <summary>The command name.</summary>
    public string Command { get; }

    /// <summary>The raw parameters; null when none were sent.</summary>
    public JsonElement? Parameters { get; }

    /// <summary>Ties this execution to a larger operation.</summary>
    public string? CorrelationId { get; }

    /// <summary>The job id, when this execution is a job (null for a communication-level invocation).</summary>
    public string? JobId { get; init; }

    /// <summary>The attempt number, when this execution is a job.</summary>
    public int Attempt { get; init; }

    /// <summary>How the job executes.</summary>
    public ExecutionPattern Pattern { get; init; } = ExecutionPattern.RequestResponse;

    /// <summary>The caller's idempotency key, when it gave one: use it to make side effects happen once.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The input the caller streams to this job (empty when it streams none). Items arrive as JSON;
    /// read each with <c>JsonElement.Deserialize&lt;T&gt;()</c> or use <see cref="ReadInputAsync{T}"/>.
    /// </summary>
    public IAsyncEnumerable<JsonElement> Input { get; init; } = AsyncEnumerable.Empty<JsonElement>();

    internal Func<double?, string?, CancellationToken, Task>? ProgressSink { get; init; }

    /// <summary>
    /// Reports progress of a long-running job (percent 0 to 100, and a message). It also renews the
    /// job's lease. Does nothing for a communication-level invocation.
    /// </summary>
    public Task ReportProgressAsync(double? percent, string? message = null, CancellationToken cancellationToken = default) =>
        ProgressSink?.Invoke(percent, message, cancellationToken) ?? Task.CompletedTask;

    /// <summary>The streamed input, each item read as <typeparamref name="T"/>.</summary>
    public async IAsyncEnumerable<T> ReadInputAsync<T>([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in Input.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return Convert<T>(item, "input")!;
        }
    }

    /// <summary>The services of this execution's scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>True when the parameters are an object with this property (matched case-insensitively, like <see cref="GetParameter{T}(string)"/>).</summary>
    public bool HasParameter(string name) =>
        Parameters is { ValueKind: JsonValueKind.Object } && TryGetProperty(name, out _);

    /// <summary>
    /// Reads one named parameter as <typeparamref name="T"/>. Throws <see cref="MeshParameterException"/>
    /// when it is missing or of the wrong shape.
    /// </summary>
    public T GetParameter<T>(string name)
    {
        if (!TryGetProperty(name, out var element))
        {
            throw new MeshParameterException($"The parameter '{name}' is required.");
        }

        return Convert<T>(element, name) ?? throw new MeshParameterException($"The parameter '{name}' must not be null.");
    }

    /// <summary>Reads one named parameter, or returns <paramref name="defaultValue"/> when it is absent or null.</summary>
    public T GetParameter<T>(string name, T defaultValue)
    {
        if (!TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return defaultValue;
        }

        return Convert<T>(element, name) ?? defaultValue;
    }

    /// <summary>Reads all parameters as one <typeparamref name="T"/>; default when there are none.</summary>
    public T? GetParameters<T>()
    {
        if (Parameters is not { } element)
        {
            return default;
        }

        return Convert<T>(element, "parameters");
    }

    private bool TryGetProperty(string name, out JsonElement element)
    {
        element = default;
        if (Parameters is not { } parameters)
        {
            return false;
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw new MeshParameterException($"The parameters must be a JSON object, not {parameters.ValueKind}.");
        }

        foreach (var property in parameters.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                element = property.Value;
                return true;
            }
        }

        return false;
    }

    private static T? Convert<T>(JsonElement element, string name)
    {
        try
        {
            return element.Deserialize<T>(OrbitMeshJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new MeshParameterException($"The parameter '{name}' is not a valid {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
