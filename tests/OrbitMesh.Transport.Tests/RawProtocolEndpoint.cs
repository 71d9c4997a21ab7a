using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Transport.Tests;

/// <summary>
/// A hand-written SignalR peer that frames messages the way a real server may but our hub never does
/// on demand: the handshake response and an invocation in one frame, and one message split across frames.
/// </summary>
public static class RawProtocolEndpoint
{
    public const char RecordSeparator = '\u001e';

    public static void MapRawProtocolEndpoint(this WebApplication app, string path)
    {
        app.UseWebSockets();
        app.Map(path, async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
            var handshake = Encoding.UTF8.GetString(buffer, 0, received.Count);
            if (!handshake.Contains("\"protocol\":\"json\"", StringComparison.Ordinal))
            {
                return;
            }

            // Handshake response and the first invocation in one frame.
            await SendAsync(socket, "{}" + RecordSeparator + "{\"type\":1,\"target\":\"Receive\",\"arguments\":[\"first\"]}" + RecordSeparator, true, context.RequestAborted);

            // One invocation split across three frames (and across two WebSocket messages), followed by another in the last frame.
            await SendAsync(socket, "{\"type\":1,\"target\":\"Rece", false, context.RequestAborted);
            await SendAsync(socket, "ive\",\"arguments\":[\"sec", true, context.RequestAborted);
            await SendAsync(socket, "ond\"]}" + RecordSeparator + "{\"type\":1,\"target\":\"Receive\",\"arguments\":[\"third\"]}" + RecordSeparator, true, context.RequestAborted);

            // A ping, then a close message without error: the client may reconnect.
            await SendAsync(socket, "{\"type\":6}" + RecordSeparator, true, context.RequestAborted);
            while (!context.RequestAborted.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
            }
        });
    }

    /// <summary>A peer that answers the handshake, then only counts the ping messages it receives.</summary>
    public static void MapPingCountingEndpoint(this WebApplication app, string path)
    {
        app.Map(path, async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
                return;
            }

            var recorder = context.RequestServices.GetRequiredService<HubRecorder>();
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer, context.RequestAborted);
            await SendAsync(socket, "{}" + RecordSeparator, true, context.RequestAborted);
            var pending = new StringBuilder();
            while (!context.RequestAborted.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var text = pending.ToString();
                var last = text.LastIndexOf(RecordSeparator);
                if (last < 0)
                {
                    continue;
                }

                foreach (var message in text[..last].Split(RecordSeparator))
                {
                    if (message.Replace(" ", "", StringComparison.Ordinal) == "{\"type\":6}")
                    {
                        Interlocked.Increment(ref recorder.PingsReceived);
                    }
                }

                pending.Clear().Append(text[(last + 1)..]);
            }
        });
    }

    private static Task SendAsync(WebSocket socket, string text, bool endOfMessage, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage, cancellationToken);
}
