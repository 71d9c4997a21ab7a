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
