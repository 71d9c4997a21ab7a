using System.Net;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Dashboard.Tests.Infrastructure;

namespace OrbitMesh.Dashboard.Tests.Security;

/// <summary>
/// The dashboard's routes are exactly the <c>dashboard</c> lines of the server's callable-surface.txt
/// (CallableSurfaceTests checks the rest of the server), and each asks for what the list says when
/// called without a session: anonymous ones answer, the others send to the sign-in page (pages) or
/// answer 401 (posts and the circuit hub).
/// </summary>
public sealed class DashboardSurfaceTests
{
    private static IEnumerable<(string Method, string Pattern, string Access)> Listed() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Security", "callable-surface.txt"))
            .Where(l => l.StartsWith("dashboard ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(p => (p[1], p[2], p[3]));

    [Fact]
    public async Task DashboardRoutes_AreExactlyTheListedOnes_AndEachAsksForItsListedAccess()
    {
        await using var plain = await TestMeshServer.StartAsync(services: s => OrbitMesh.Workflows.WorkflowServiceCollectionExtensions.AddOrbitMeshWorkflows(s));
        await using var server = await DashboardServer.StartAsync();
        var serverRoutes = Routes(plain.Services).ToHashSet();
        var actual = Routes(server.Mesh.Services).Where(r => !serverRoutes.Contains(r)).Order(StringComparer.Ordinal).ToList();
        var listed = Listed().Select(r => $"{r.Method} {r.Pattern}").Order(StringComparer.Ordinal).ToList();

        Assert.True(listed.SequenceEqual(actual),
            "The dashboard's routes differ from the 'dashboard' lines of callable-surface.txt.\nNot listed: " + string.Join(", ", actual.Except(listed)) +
            "\nListed but missing: " + string.Join(", ", listed.Except(actual)));

        using var client = server.NewBrowserlessClient(out _);
        foreach (var (method, pattern, access) in Listed())
        {
            var path = pattern.Replace("{id}", "surface-probe", StringComparison.Ordinal).Replace("{Id}", "surface-probe", StringComparison.Ordinal)
                .Replace("{name}", "surface-probe", StringComparison.Ordinal).Replace("{Name}", "surface-probe", StringComparison.Ordinal);
            var verb = method == "*" ? (path.EndsWith("/negotiate", StringComparison.Ordinal) ? "POST" : "GET") : method;
            using var request = new HttpRequestMessage(new HttpMethod(verb), path);
            if (verb == "POST")
            {
                request.Content = new FormUrlEncodedContent([]);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var toSignIn = response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.AbsolutePath == "/dashboard/login";
            if (access == "anonymous")
            {
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && !toSignIn,
                    $"{method} {pattern} is listed as anonymous but answered {(int)response.StatusCode}.");
            }
            else
            {
                Assert.True(toSignIn || response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} ({access}) answered {(int)response.StatusCode} without a session.");
            }
        }
    }

    private static IEnumerable<string> Routes(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Distinct();
}
