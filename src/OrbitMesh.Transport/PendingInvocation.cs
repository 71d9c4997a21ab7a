using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OrbitMesh.Transport;

/// <summary>An invocation that waits for the server's completion or stream items.</summary>
internal abstract class PendingInvocation(Type resultType)
{
    public Type ResultType { get; } = resultType;

    public abstract void Complete(CompletionMessage completion);

    public abstract void Fail(Exception exception);

    public abstract void Cancel(CancellationToken cancellationToken);
}

/// <summary>A non-streaming invocation: one completion with a result or an error.</summary>
internal sealed class PendingCall(Type resultType) : PendingInvocation(resultType)
{
    private readonly TaskCompletionSource<object?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<object?> Task => _completion.Task;

    public override void Complete(CompletionMessage completion)
    {
        if (completion.Error is { } error)
        {
            _completion.TrySetException(new HubException(error));
        }
        else
        {
            _completion.TrySetResult(completion.Result);
        }
    }

    public override void Fail(Exception exception) => _completion.TrySetException(exception);

    public override void Cancel(CancellationToken cancellationToken) => _completion.TrySetCanceled(cancellationToken);
}

/// <summary>A streaming invocation: items into a bounded channel, then a completion.</summary>
internal sealed class PendingStream : PendingInvocation
{
    private readonly Channel<object?> _channel;

    public PendingStream(ConnectionSession session, string invocationId, Type itemType, int capacity)
        : base(itemType)
    {
        Session = session;
        InvocationId = invocationId;
        _channel = Channel.CreateBounded<object?>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ConnectionSession Session { get; }

    public string InvocationId { get; }

    public ChannelReader<object?> Reader => _channel.Reader;

    /// <summary>Waits for room: a consumer that falls behind slows the socket down rather than growing memory.</summary>
    public ValueTask WriteAsync(object? item, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(item, cancellationToken);

    public override void Complete(CompletionMessage completion) =>
        _channel.Writer.TryComplete(completion.Error is { } error ? new HubException(error) : null);

    public override void Fail(Exception exception) => _channel.Writer.TryComplete(exception);

    public override void Cancel(CancellationToken cancellationToken) => _channel.Writer.TryComplete(new OperationCanceledException(cancellationToken));
}
