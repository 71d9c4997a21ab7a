using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Api;

/// <summary>JSON and problem results with OrbitMesh's JSON settings, so the host app's settings do not change the contract.</summary>
internal static class ApiResults
{
    public static IResult Json<T>(T value, int statusCode = StatusCodes.Status200OK) =>
        Results.Json(value, OrbitMeshJson.Options, statusCode: statusCode);

    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "bad_request", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not_found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "conflict", detail);

    public static IResult Unprocessable(IReadOnlyList<string> errors) =>
        Results.Problem(
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "The request is invalid",
            detail: string.Join(" ", errors),
            extensions: new Dictionary<string, object?> { ["code"] = MeshErrorCodes.BadRequest, ["errors"] = errors });

    public static IResult TooManyRequests(string detail, TimeSpan retryAfter, HttpContext context, string code = "queue_full")
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status429TooManyRequests, code, detail);
    }

    public static IResult Problem(int status, string code, string detail, JobError? error = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (error?.Type is { } type)
        {
            extensions["errorType"] = type;
        }

        return Results.Problem(statusCode: status, title: TitleFor(status), detail: detail, extensions: extensions);
    }

    private static string TitleFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad request",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status412PreconditionFailed => "Precondition failed",
        StatusCodes.Status413PayloadTooLarge => "Payload too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported media type",
        StatusCodes.Status422UnprocessableEntity => "Unprocessable",
        StatusCodes.Status429TooManyRequests => "Too many requests",
        StatusCodes.Status503ServiceUnavailable => "Unavailable",
        StatusCodes.Status504GatewayTimeout => "Timed out",
        _ => "Error",
    };
}
