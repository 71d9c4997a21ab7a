using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// When an API key is configured, requires it in the <c>X-Api-Key</c> header of every <c>/api</c>
/// request; otherwise answers 401 <c>application/problem+json</c>.
/// </summary>
internal sealed partial class ApiKeyEndpointFilter(IOptions<OrbitMeshServerOptions> options, ILogger<ApiKeyEndpointFilter> logger) : IEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    private readonly byte[]? _expected = options.Value.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_expected is null)
        {
            return next(context);
        }

        var presented = context.HttpContext.Request.Headers[HeaderName].ToString();
        string? problem = null;
        if (presented.Length == 0)
        {
            problem = $"This API requires the {HeaderName} header.";
        }
        else if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            problem = $"The {HeaderName} header does not hold a valid key.";
        }

        if (problem is null)
        {
            return next(context);
        }

        Log.ApiKeyRefused(logger, context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.HttpContext.Request.Path, problem);
        return ValueTask.FromResult<object?>(Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: problem));
    }

    private static partial class Log
    {
        [LoggerMessage(2041, LogLevel.Warning, "Refused an API request from {RemoteAddress} to {Path}: {Reason}")]
        public static partial void ApiKeyRefused(ILogger logger, string remoteAddress, string path, string reason);
    }
}
