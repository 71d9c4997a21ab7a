using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;

namespace OrbitMesh.Grid.Links;

/// <summary>
/// Pushes a range of a file to another star's data endpoint over HTTP/2: the bytes, then the BLAKE3 digest of
/// the whole file up to the range's end (when resuming, the part before the range is hashed from the local
/// file first). A refusal by the receiver arrives with its code; a broken link is
/// <see cref="GridLinkProtocol.LinkFailedCode"/>, on which the copy resumes.
/// </summary>
internal sealed partial class GridLinkPusher : IDisposable
{
    private readonly LocalSystem _system;
    private readonly HttpClient _http;
    private readonly ILogger _logger;

    public GridLinkPusher(LocalSystem system, ILogger logger)
    {
        _system = system;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<LinkPushReply> PushAsync(LinkPushRequest request, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(request.Address, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new MeshParameterException("'address' must be an http or https URL.");
        }

        if (request.Offset < 0 || request.Length < 0)
        {
            throw new MeshParameterException("'offset' and 'length' must not be negative.");
        }

        var entry = await _system.GetEntryAsync(request.Path, cancellationToken).ConfigureAwait(false);
        if (entry is not { Kind: GridEntryKind.File } || entry.Size < request.Offset + request.Length)
        {
            throw new MeshParameterException($"'{request.Path}' is not a file of at least {request.Offset + request.Length} bytes.");
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(address, GridLinkProtocol.PushPath(request.JobId)))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new PushContent(_system, request),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue(GridLinkProtocol.Scheme, request.Token);
        message.Headers.Add("X-Orbit-Offset", request.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        message.Headers.Add("X-Orbit-Length", request.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            LogBroken(_logger, request.JobId, ex.Message);
            throw new MeshHandlerException(GridLinkProtocol.LinkFailedCode, $"The direct link to {address} broke: {ex.Message}", ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                var reply = await response.Content.ReadFromJsonAsync<LinkPushReply>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new MeshHandlerException(GridLinkProtocol.LinkFailedCode, "The receiving star answered nothing.");
                LogPushed(_logger, request.JobId, request.Path, request.Offset, reply.Received);
                return reply;
            }

            LinkRefusal? refusal = null;
            try
            {
                refusal = await response.Content.ReadFromJsonAsync<LinkRefusal>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            var text = refusal?.Message ?? $"The receiving star answered {(int)response.StatusCode}.";
            throw refusal?.Code switch
            {
                GridDigestMismatchException.ErrorCode => new MeshHandlerException(GridDigestMismatchException.ErrorCode, text),
                MeshErrorCodes.NotAllowed => new MeshAccessDeniedException(text),
                MeshErrorCodes.InvalidParameters => new MeshParameterException(text),
                _ => new MeshHandlerException(GridLinkProtocol.LinkFailedCode, text),
            };
        }
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Direct link {JobId}: pushed {Pushed} bytes of {Path} from offset {Offset}")]
    private static partial void LogPushed(ILogger logger, string jobId, string path, long offset, long pushed);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Warning, Message = "Direct link {JobId} broke while pushing: {Reason}")]
    private static partial void LogBroken(ILogger logger, string jobId, string reason);

    /// <summary>The request body: the range, then the whole file's digest up to the range's end.</summary>
    private sealed class PushContent(LocalSystem system, LinkPushRequest request) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var hash = new Blake3.Blake3HashAlgorithm();
            var buffer = ArrayPool<byte>.Shared.Rent(GridLinkProtocol.BufferSize);
            try
            {
                if (request.Offset > 0)
                {
                    await CopyAsync(0, request.Offset, hash, buffer, null, cancellationToken).ConfigureAwait(false);
                }

                await CopyAsync(request.Offset, request.Length, hash, buffer, stream, cancellationToken).ConfigureAwait(false);
                hash.TransformFinalBlock([], 0, 0);
                await stream.WriteAsync(hash.Hash, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = request.Length + GridLinkProtocol.DigestLength;
            return true;
        }

        private async Task CopyAsync(long offset, long length, Blake3.Blake3HashAlgorithm hash, byte[] buffer, Stream? output, CancellationToken cancellationToken)
        {
            var input = await system.OpenReadAsync(request.Path, offset, length, cancellationToken).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                long done = 0;
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, GridLinkProtocol.BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.TransformBlock(buffer, 0, read, null, 0);
                    if (output is not null)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }

                    done += read;
                }

                if (done != length)
                {
                    throw new IOException($"'{request.Path}' changed while it was pushed: {done} of {length} bytes read.");
                }
            }
        }
    }
}
