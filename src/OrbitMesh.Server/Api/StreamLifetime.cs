using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Api;

/// <summary>
/// How long an event stream may run: until the client goes away or, for a request authenticated with
/// an access token, until that token expires; then the connection is closed at once, mid-stream, and
/// the client must come back with a fresh token.
/// </summary>
internal sealed class StreamLifetime : IDisposable
{
    private readonly HttpContext _context;
    private readonly CancellationTokenSource _source;
    private readonly ITimer? _expiry;

    public StreamLifetime(HttpContext context, TimeProvider time)
    {
        _context = context;
        _source = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (context.User.FindFirst(Security.ApiAuthenticationDefaults.ExpiresClaim)?.Value is { } expires)
        {
            var left = long.Parse(expires, CultureInfo.InvariantCulture) - time.GetUtcNow().ToUnixTimeMilliseconds();
            _expiry = time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), _source, TimeSpan.FromMilliseconds(Math.Max(0, left)), Timeout.InfiniteTimeSpan);
        }
    }

    public CancellationToken Token => _source.Token;

    public void CloseIfExpired()
    {
        if (_source.IsCancellationRequested && !_context.RequestAborted.IsCancellationRequested)
        {
            _context.Abort();
        }
    }

    public void Dispose()
    {
        _expiry?.Dispose();
        _source.Dispose();
    }
}
