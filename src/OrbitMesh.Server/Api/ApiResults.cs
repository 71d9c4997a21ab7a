using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Api;

/// <summary>JSON and problem results with OrbitMesh's JSON settings, so the host app's settings do not change the contract.</summary>
internal static class ApiResults
{
    public static IResult Json<T>(T value, int statusCode = StatusCodes.Status200OK) =>
        Results.Json(value, OrbitMeshJson.Options, statusCode: statusCode);

    public static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}
