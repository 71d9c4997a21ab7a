namespace OrbitMesh;

/// <summary>
/// Why a job or an invocation failed, as it crosses the wire: a code, the error's type name and a
/// deliberate message. Stack traces travel only when the server is configured to send them.
/// </summary>
/// <param name="Code">A stable machine-readable code, see <see cref="MeshErrorCodes"/>.</param>
/// <param name="Message">A human-readable message.</param>
/// <param name="Type">The exception type name on the side that failed, when there was one.</param>
/// <param name="Details">Extra detail such as a stack trace, only when configured.</param>
public sealed record JobError(string Code, string Message, string? Type = null, string? Details = null)
{
    /// <summary>Builds an error from an exception thrown by a handler.</summary>
    public static JobError FromException(Exception exception, bool includeDetails = false)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new JobError(
            exception is OperationCanceledException ? MeshErrorCodes.Cancelled : MeshErrorCodes.HandlerFailed,
            exception.Message,
            exception.GetType().FullName,
            includeDetails ? exception.ToString() : null);
    }

    /// <inheritdoc />
    public override string ToString() => Type is null ? $"{Code}: {Message}" : $"{Code}: {Type}: {Message}";
}
