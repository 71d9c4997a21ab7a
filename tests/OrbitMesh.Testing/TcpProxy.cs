using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OrbitMesh.Testing;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a test server, so a test can cut every connection through it at
/// once (as a network fault would) while new connections still get through.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (TcpClient Client, TcpClient Upstream)> _links = new();
    private readonly Task _accepting;
    private long _next;
    private long _accepted;
    private long _bytesToTarget;
    private long _cutAfter = -1;
    private long _sinceArmed;
    private volatile bool _blocked;

    public TcpProxy(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = new IPEndPoint(IPAddress.Loopback, target.Port);
        _listener.Start();
        Url = new UriBuilder(target) { Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The target's URL with the proxy's port.</summary>
    public Uri Url { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Bytes relayed from clients to the target so far (what the target received through the proxy).</summary>
    public long BytesToTarget => Interlocked.Read(ref _bytesToTarget);

    /// <summary>
    /// Resets the connection through which the proxy relays more than <paramref name="bytes"/> bytes towards the
    /// target from now on, once (a link dropped in the middle of a transfer); later traffic gets through.
    /// </summary>
    public void CutOnceAfter(long bytes)
    {
        Interlocked.Exchange(ref _sinceArmed, 0);
        Interlocked.Exchange(ref _cutAfter, bytes);
    }

    /// <summary>While blocked, new connections are reset as soon as they arrive (a longer outage).</summary>
    public bool Blocked
    {
        get => _blocked;
        set => _blocked = value;
    }

    /// <summary>Resets every connection through the proxy now; later connections get through again unless <see cref="Blocked"/>.</summary>
    public int CutAll()
    {
        var cut = 0;
        foreach (var (id, link) in _links)
        {
            if (_links.TryRemove(id, out _))
            {
                link.Client.Client.LingerState = new LingerOption(true, 0);
                link.Client.Dispose();
                link.Upstream.Dispose();
                cut++;
            }
        }

        return cut;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_blocked)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        var id = Interlocked.Increment(ref _next);
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
            _links[id] = (client, upstream);
            var a = PumpToTargetAsync(client, upstream);
            var b = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(a, b).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _links.TryRemove(id, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpToTargetAsync(TcpClient client, TcpClient upstream)
    {
        var buffer = new byte[81920];
        var from = client.GetStream();
        var to = upstream.GetStream();
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
        {
            var limit = Interlocked.Read(ref _cutAfter);
            if (limit >= 0 && Interlocked.Add(ref _sinceArmed, read) > limit && Interlocked.CompareExchange(ref _cutAfter, -1, limit) == limit)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                upstream.Client.LingerState = new LingerOption(true, 0);
                return;
            }

            Interlocked.Add(ref _bytesToTarget, read);
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
