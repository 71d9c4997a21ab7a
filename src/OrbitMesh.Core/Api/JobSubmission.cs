using System.Text.Json;

namespace OrbitMesh.Api;

/// <summary>
/// The body of <c>POST /api/jobs</c> (and <c>POST /api/jobs/all</c>): a job request in the REST contract's shape.
/// </summary>
public sealed record JobSubmission
{
    /// <summary>The command. Required.</summary>
    public string? Command { get; init; }

    /// <summary>Parameters (a JSON object).</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>One of agentId, capability or group; none for any agent with a handler.</summary>
    public AgentTarget? Target { get; init; }

    /// <summary>The execution pattern; RequestResponse when absent.</summary>
    public ExecutionPattern? Pattern { get; init; }

    /// <summary>Makes the submission idempotent.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Per-attempt timeout in seconds.</summary>
    public double? TimeoutSeconds { get; init; }

    /// <summary>Low, Normal (default) or High.</summary>
    public JobPriority? Priority { get; init; }

    /// <summary>Attempts before dead-lettering (default 1: no retry).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Ties the job to a larger run.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Names of top-level parameters that are secrets: stored encrypted, shown redacted.</summary>
    public IReadOnlyList<string>? SecretParameters { get; init; }

    /// <summary>Input items streamed to the handler as it runs.</summary>
    public IReadOnlyList<JsonElement>? Input { get; init; }

    /// <summary>For <c>/api/jobs/all</c>: run in batches of this percentage of the matching agents, stopping on a failing batch.</summary>
    public int? BatchPercent { get; init; }

    /// <summary>The request this submission describes.</summary>
    public JobRequest ToRequest() => new()
    {
        Command = Command ?? string.Empty,
        Parameters = Parameters is { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } ? null : Parameters,
        Target = Target is { AgentId: null, Capability: null, Group: null } ? null : Target,
        Pattern = Pattern ?? ExecutionPattern.RequestResponse,
        IdempotencyKey = IdempotencyKey,
        Timeout = TimeoutSeconds is { } seconds ? ToTimeSpan(seconds) : null,
        Priority = Priority ?? JobPriority.Normal,
        MaxAttempts = MaxAttempts ?? 1,
        CorrelationId = CorrelationId,
        SecretParameters = SecretParameters is { Count: > 0 } ? SecretParameters : null,
    };

    /// <summary>Seconds as a time span; a value beyond its range becomes its bound, which validation then refuses with the field's name (never an overflow).</summary>
    private static TimeSpan ToTimeSpan(double seconds) =>
        double.IsNaN(seconds) ? TimeSpan.Zero
        : seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue
        : seconds <= TimeSpan.MinValue.TotalSeconds ? TimeSpan.MinValue
        : TimeSpan.FromSeconds(seconds);

    /// <summary>A submission for a request (what the remote client sends).</summary>
    public static JobSubmission FromRequest(JobRequest request, IReadOnlyList<JsonElement>? input = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new JobSubmission
        {
            Command = request.Command,
            Parameters = request.Parameters,
            Target = request.Target,
            Pattern = request.Pattern,
            IdempotencyKey = request.IdempotencyKey,
            TimeoutSeconds = request.Timeout?.TotalSeconds,
            Priority = request.Priority,
            MaxAttempts = request.MaxAttempts,
            CorrelationId = request.CorrelationId,
            SecretParameters = request.SecretParameters,
            Input = input,
        };
    }
}

/// <summary>The body of <c>POST /api/agents/{id}/invoke</c>.</summary>
public sealed record InvokeSubmission
{
    /// <summary>The command. Required.</summary>
    public string? Command { get; init; }

    /// <summary>Parameters.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>Timeout in seconds; the server's default when absent.</summary>
    public double? TimeoutSeconds { get; init; }
}

/// <summary>The answer of <c>POST /api/agents/{id}/invoke</c>.</summary>
/// <param name="Result">The handler's result.</param>
public sealed record InvokeAnswer(JsonElement? Result);

/// <summary>The answer of <c>POST /api/jobs</c>: the job's id and status (and, for a repeated idempotency key, the existing job's result).</summary>
public sealed record JobAccepted
{
    /// <summary>The job id.</summary>
    public required string Id { get; init; }

    /// <summary>Its status.</summary>
    public JobStatus Status { get; init; }

    /// <summary>True when an earlier job with the same idempotency key was returned instead of a new one.</summary>
    public bool Existing { get; init; }

    /// <summary>The existing job's result, when it has one.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The existing job's error, when it has one.</summary>
    public JobError? Error { get; init; }
}
