using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;

namespace OrbitMesh.Grid.Links;

/// <summary>
/// Receives one pushed range on the data endpoint: checks the link token against what the server announced,
/// writes the bytes through the star's jail from the announced offset, hashes the whole file as it goes (the
/// part already there first, when resuming) and compares it with the BLAKE3 digest that ends the body.
/// A body that ends early leaves what arrived on disk, for the copy to resume from; a digest mismatch cuts
/// the file to nothing, so that no resume builds on bad bytes.
/// </summary>
internal sealed partial class GridLinkReceiver
{
    private readonly LocalSystem _system;
    private readonly GridLinkExpectations _expectations;
    private readonly string _nodeId;
    private readonly ILogger _logger;

    public GridLinkReceiver(LocalSystem system, GridLinkExpectations expectations, string nodeId, ILogger logger)
    {
        _system = system;
        _expectations = expectations;
        _nodeId = nodeId;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, string jobId)
    {
        var cancellationToken = context.RequestAborted;
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith(GridLinkProtocol.Scheme + " ", StringComparison.Ordinal) ? header[(GridLinkProtocol.Scheme.Length + 1)..] : null;
        if (!long.TryParse(context.Request.Headers["X-Orbit-Offset"], out var offset) || !long.TryParse(context.Request.Headers["X-Orbit-Length"], out var length) || offset < 0 || length < 0)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, MeshErrorCodes.InvalidParameters, "X-Orbit-Offset and X-Orbit-Length are required.").ConfigureAwait(false);
            return;
        }

        LinkExpectRequest expected;
        TaskCompletionSource done;
        try
        {
            (expected, offset, done) = _expectations.Take(jobId, token, _nodeId, offset, length);
        }
        catch (MeshAccessDeniedException ex)
        {
            LogRefused(_logger, jobId, ex.Message);
            await RefuseAsync(context, StatusCodes.Status403Forbidden, ex.Code, ex.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            await ReceiveAsync(context, jobId, expected, offset, length, cancellationToken).ConfigureAwait(false);
        }
        catch (OrbitMeshException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogRefused(_logger, jobId, ex.Message);
            var status = ex.Code == GridDigestMismatchException.ErrorCode ? StatusCodes.Status409Conflict : StatusCodes.Status403Forbidden;
            await RefuseAsync(context, status, ex.Code, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            // The link broke: what arrived stays on disk and the copy resumes from there.
            LogBroken(_logger, jobId, ex.Message);
        }
        finally
        {
            _expectations.Finish(jobId, done);
        }
    }

    private async Task ReceiveAsync(HttpContext context, string jobId, LinkExpectRequest expected, long offset, long length, CancellationToken cancellationToken)
    {
        using var hash = new Blake3.Blake3HashAlgorithm();
        var buffer = ArrayPool<byte>.Shared.Rent(GridLinkProtocol.BufferSize);
        try
        {
            if (offset > 0)
            {
                var input = await _system.OpenReadAsync(expected.Path, 0, offset, cancellationToken).ConfigureAwait(false);
                await using (input.ConfigureAwait(false))
                {
                    long hashed = 0;
                    int read;
                    while ((read = await input.ReadAsync(buffer.AsMemory(0, GridLinkProtocol.BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        hash.TransformBlock(buffer, 0, read, null, 0);
                        hashed += read;
                    }

                    if (hashed != offset)
                    {
                        throw new MeshParameterException($"'{expected.Path}' is shorter than the offset {offset} to resume from.");
                    }
                }
            }

            var body = context.Request.Body;
            long received = 0;
            var output = await _system.OpenWriteAsync(expected.Path, offset, cancellationToken).ConfigureAwait(false);
            await using (output.ConfigureAwait(false))
            {
                while (received < length)
                {
                    // HTTP/2 hands the body over a frame at a time: gather a full buffer before each write.
                    var want = (int)Math.Min(GridLinkProtocol.BufferSize, length - received);
                    var filled = 0;
                    while (filled < want)
                    {
                        var read = await body.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken).ConfigureAwait(false);
                        if (read == 0)
                        {
                            if (filled > 0)
                            {
                                await output.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                            }

                            throw new IOException($"The push ended after {received + filled} of {length} bytes.");
                        }

                        filled += read;
                    }

                    await output.WriteAsync(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                    hash.TransformBlock(buffer, 0, filled, null, 0);
                    received += filled;
                }
            }

            var digest = new byte[GridLinkProtocol.DigestLength];
            await body.ReadExactlyAsync(digest, cancellationToken).ConfigureAwait(false);
            if (await body.ReadAsync(buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new MeshParameterException("The push carries more bytes than its range.");
            }

            hash.TransformFinalBlock([], 0, 0);
            var actual = Convert.ToHexStringLower(hash.Hash!);
            var claimed = Convert.ToHexStringLower(digest);
            if (actual != claimed)
            {
                // Nothing of a file that does not match is kept to resume from.
                var cut = await _system.OpenWriteAsync(expected.Path, 0, cancellationToken).ConfigureAwait(false);
                await cut.DisposeAsync().ConfigureAwait(false);
                throw new GridDigestMismatchException($"'{expected.Path}' arrived with BLAKE3 {actual}, the source says {claimed}.");
            }

            LogReceived(_logger, jobId, expected.Path, offset, received);
            context.Response.StatusCode = StatusCodes.Status200OK;
            await context.Response.WriteAsJsonAsync(new LinkPushReply(offset + received, received, actual), OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new LinkRefusal(code, message), OrbitMeshJson.Options, context.RequestAborted);
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Direct link {JobId}: received {Received} bytes of {Path} from offset {Offset}, digest verified")]
    private static partial void LogReceived(ILogger logger, string jobId, string path, long offset, long received);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Direct link {JobId} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string jobId, string reason);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Direct link {JobId} broke: {Reason}")]
    private static partial void LogBroken(ILogger logger, string jobId, string reason);
}
