using System.Text.Json;

namespace OrbitMesh.Execution;

/// <summary>Where a middleware pipeline runs.</summary>
public enum MeshSide
{
    /// <summary>Around the dispatch of a job attempt on the server.</summary>
    Server,

    /// <summary>Around a handler's execution on the agent.</summary>
    Agent,
}

/// <summary>
/// What a middleware sees: the command, its parameters, where it runs, and (after <c>next</c>) its result.
/// A middleware that does not call <c>next</c> must set <see cref="Result"/> (for example a failure), or
/// the execution fails with "no result".
/// </summary>
public sealed class MeshContext
{
    /// <summary>Creates a context.</summary>
    public MeshContext(MeshSide side, string jobId, string command, JsonElement? parameters, IServiceProvider services, CancellationToken cancellationToken)
    {
        Side = side;
        JobId = jobId;
        Command = command;
        Parameters = parameters;
        Services = services;
        CancellationToken = cancellationToken;
    }

    /// <summary>Server or agent.</summary>
    public MeshSide Side { get; }

    /// <summary>The job id (for a communication-level invocation, an id for this call only).</summary>
    public string JobId { get; }

    /// <summary>The command.</summary>
    public string Command { get; }

    /// <summary>The parameters. Server middleware may replace them before <c>next</c>.</summary>
    public JsonElement? Parameters { get; set; }

    /// <summary>The agent that runs the attempt (on the server, the selected agent; on the agent, itself).</summary>
    public string? AgentId { get; init; }

    /// <summary>The attempt number.</summary>
    public int Attempt { get; init; }

    /// <summary>The execution pattern.</summary>
    public ExecutionPattern Pattern { get; init; }

    /// <summary>The correlation id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Services for this execution.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Fires when the execution is cancelled or times out.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The outcome; set by the pipeline's end, or by a middleware that short-circuits.</summary>
    public JobResult? Result { get; set; }

    /// <summary>State shared between middlewares.</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);
}

/// <summary>The next step of a middleware pipeline.</summary>
public delegate Task MeshDelegate(MeshContext context);

/// <summary>
/// Runs around each job attempt's dispatch on the server (<c>options.UseMiddleware&lt;T&gt;()</c> in
/// <c>AddOrbitMesh</c>) and around each handler execution on the agent (<c>UseMiddleware&lt;T&gt;()</c> on the
/// agent builder). Activated from dependency injection for each execution.
/// </summary>
/// <remarks>
/// On the server, the code after <c>next</c> runs once the attempt has ended and its outcome is
/// recorded; it observes the outcome (in <see cref="MeshContext.Result"/>) but cannot change it, and it
/// runs alongside callers learning that outcome. A server middleware that does not call <c>next</c>
/// ends the attempt with the result it sets. Attempts recovered after a server restart do not run
/// server middleware again.
/// </remarks>
public interface IMeshMiddleware
{
    /// <summary>Does its work and calls <paramref name="next"/> (or sets <see cref="MeshContext.Result"/> and returns).</summary>
    Task InvokeAsync(MeshContext context, MeshDelegate next);
}
