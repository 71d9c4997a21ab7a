using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>
/// The framework's <c>blazor.web.js</c> and the dashboard's style sheet, embedded in this assembly at
/// build time and served from memory with an ETag: the host needs no static web assets of its own.
/// </summary>
internal static class DashboardAssets
{
    private static readonly Lazy<Asset> Script = new(() => Load("OrbitMesh.Dashboard.blazor.web.js", "text/javascript"));
    private static readonly Lazy<Asset> Styles = new(() => Load("OrbitMesh.Dashboard.dashboard.css", "text/css"));

    public static void MapDashboardAssets(this RouteGroupBuilder group)
    {
        group.MapGet("/_framework/blazor.web.js", (HttpContext context) => Serve(context, Script.Value)).AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/dashboard.css", (HttpContext context) => Serve(context, Styles.Value)).AllowAnonymous().ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext context, Asset asset)
    {
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ETag = asset.ETag;
        return context.Request.Headers.IfNoneMatch == asset.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard's resource {name} is missing from the assembly.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var content = memory.ToArray();
        var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))[..16] + "\"").ToString();
        return new Asset(content, contentType, etag);
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
