using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OrbitMesh.Testing;

/// <summary>
/// Free TCP ports on 127.0.0.1 for servers that must come back on the same port. They are chosen
/// below the kernel's ephemeral range (where port-0 servers and outgoing connections get theirs), and
/// never handed out twice in a process, so another test can not take a port while its server restarts.
/// </summary>
public static class FreePort
{
    private const int First = 20_000;
    private const int Last = 30_000;
    private static readonly ConcurrentDictionary<int, byte> Handed = new();
    private static int _next = First + (Environment.ProcessId * 37 % (Last - First));

    public static int Next()
    {
        for (var tries = 0; tries < Last - First; tries++)
        {
            var port = First + (Interlocked.Increment(ref _next) % (Last - First));
            if (!Handed.TryAdd(port, 0))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by something else: try the next one.
            }
        }

        throw new InvalidOperationException($"No free port between {First} and {Last}.");
    }
}
