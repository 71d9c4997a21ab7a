namespace OrbitMesh.Agent;

/// <summary>
/// Executes one command on the agent. Registered with <c>RegisterHandler&lt;THandler&gt;("command")</c>;
/// a new instance is activated from dependency injection, in its own scope, for each execution.
/// </summary>
public interface IMeshHandler
{
    /// <summary>
    /// Runs the command and returns its result (serialized to JSON; null for none). Throw to fail; the
    /// caller receives the exception's type and message. Honour <paramref name="cancellationToken"/>:
    /// it fires on cancellation, timeout and agent shutdown.
    /// </summary>
    Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken);
}
