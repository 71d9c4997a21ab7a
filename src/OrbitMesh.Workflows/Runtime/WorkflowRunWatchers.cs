using System.Collections.Concurrent;
using System.Threading.Channels;

namespace OrbitMesh.Workflows;

/// <summary>Live subscribers to runs' events: each gets every event recorded after it subscribed.</summary>
internal sealed class WorkflowRunWatchers
{
    private readonly ConcurrentDictionary<string, ImmutableList> _byRun = new(StringComparer.Ordinal);

    public Subscription Subscribe(string runId)
    {
        var channel = Channel.CreateUnbounded<WorkflowRunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _byRun.AddOrUpdate(runId, _ => new ImmutableList([channel]), (_, list) => new ImmutableList([.. list.Channels, channel]));
        return new Subscription(this, runId, channel);
    }

    public void Publish(string runId, IReadOnlyList<WorkflowRunEvent> events)
    {
        if (!_byRun.TryGetValue(runId, out var list))
        {
            return;
        }

        foreach (var channel in list.Channels)
        {
            foreach (var e in events)
            {
                channel.Writer.TryWrite(e);
            }

            if (events.Count > 0 && events[^1].Type == WorkflowRunEventTypes.RunFinished)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    private void Unsubscribe(string runId, Channel<WorkflowRunEvent> channel)
    {
        while (_byRun.TryGetValue(runId, out var list))
        {
            var rest = list.Channels.Where(c => c != channel).ToArray();
            var done = rest.Length == 0
                ? _byRun.TryRemove(new KeyValuePair<string, ImmutableList>(runId, list))
                : _byRun.TryUpdate(runId, new ImmutableList(rest), list);
            if (done)
            {
                return;
            }
        }
    }

    private sealed record ImmutableList(Channel<WorkflowRunEvent>[] Channels);

    public sealed class Subscription(WorkflowRunWatchers owner, string runId, Channel<WorkflowRunEvent> channel) : IDisposable
    {
        public ChannelReader<WorkflowRunEvent> Reader => channel.Reader;

        public void Dispose() => owner.Unsubscribe(runId, channel);
    }
}
