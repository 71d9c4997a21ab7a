using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Grid.Tests.Security;

/// <summary>
/// The routes Orbit Grid adds to the server are exactly the <c>grid</c> lines of the server's callable-surface.txt,
/// and each refuses a caller without credentials.
/// </summary>
public sealed class GridSurfaceTests
{
    private static IEnumerable<(string Method, string Pattern, string Access)> Listed() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Security", "callable-surface.txt"))
            .Where(l => l.StartsWith("grid ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(p => (p[1], p[2], p[3]));

    [Fact]
    public async Task GridRoutes_AreExactlyTheListedOnes_AndRefuseAnonymousCallers()
    {
        await using var plain = await TestMeshServer.StartAsync(o => o.Security.AllowAnonymousLoopbackApi = false);
        await using var server = await TestMeshServer.StartAsync(
            o => o.Security.AllowAnonymousLoopbackApi = false,
            services: s => s.AddGridLinkCopier(),
            mapExtra: app => app.MapGridLinkCopies(OrbitMeshPolicies.Operator));
        var plainRoutes = Routes(plain.Services).ToHashSet();
        var actual = Routes(server.Services).Where(r => !plainRoutes.Contains(r)).Order(StringComparer.Ordinal).ToList();
        var listed = Listed().Select(r => $"{r.Method} {r.Pattern}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(listed, actual);
        using var client = new HttpClient { BaseAddress = server.Url };
        foreach (var (method, pattern, access) in Listed())
        {
            Assert.NotEqual("anonymous", access);
            using var request = new HttpRequestMessage(new HttpMethod(method), pattern) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public void MapGridLinkCopies_WithoutTheCopier_FailsFast()
    {
        var builder = WebApplication.CreateSlimBuilder();
        using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapGridLinkCopies(OrbitMeshPolicies.Operator));

        Assert.Contains("AddGridLinkCopier", ex.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Routes(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Distinct();
}
