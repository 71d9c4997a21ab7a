using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>
/// The callable surface is exactly the checked-in list (callable-surface.txt), and every entry asks for
/// what the list says: nothing is reachable anonymously unless it is listed as anonymous (the roles each
/// route needs are tested in RoleAccessTests).
/// </summary>
public sealed class CallableSurfaceTests
{
    private const string ApiKey = "surface-test-api-key";

    private static readonly string[] Listed = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Security", "callable-surface.txt"))
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .ToArray();

    private static IEnumerable<(string Method, string Pattern, string Access)> ListedRoutes() =>
        Listed.Where(l => l.StartsWith("route ", StringComparison.Ordinal)).Select(l => l.Split(' ')).Select(p => (p[1], p[2], p[3]));

    private static IEnumerable<(string Name, string Access)> ListedHubMethods() =>
        Listed.Where(l => l.StartsWith("hub ", StringComparison.Ordinal)).Select(l => l.Split(' ')).Select(p => (p[1], p[2]));

    [Fact]
    public async Task RouteTable_IsExactlyTheListedSurface_AndEachRouteAsksForItsListedCredentials()
    {
        await using var server = await TestMeshServer.StartAsync(
            o =>
            {
                o.ApiKey = ApiKey;
                o.Security.AllowAnonymousLoopbackApi = false;
            },
            services: s => OrbitMesh.Workflows.WorkflowServiceCollectionExtensions.AddOrbitMeshWorkflows(s));
        var actual = server.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        var listed = ListedRoutes().Select(r => $"{r.Method} {r.Pattern}").Order(StringComparer.Ordinal).ToList();

        Assert.True(listed.SequenceEqual(actual),
            "The route table differs from Security/callable-surface.txt.\nNot listed: " + string.Join(", ", actual.Except(listed)) +
            "\nListed but missing: " + string.Join(", ", listed.Except(actual)));

        using var http = new HttpClient { BaseAddress = server.Url };
        foreach (var (method, pattern, access) in ListedRoutes())
        {
            var path = pattern.Replace("{id}", "surface-probe", StringComparison.Ordinal).Replace("{name}", "surface-probe", StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method == "*" ? (path.EndsWith("/negotiate", StringComparison.Ordinal) ? "POST" : "GET") : method), path);
            if (method is "POST" or "PATCH")
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (access == "anonymous")
            {
                Assert.True(response.StatusCode != HttpStatusCode.Unauthorized && response.StatusCode != HttpStatusCode.Forbidden,
                    $"{method} {pattern} is listed as anonymous but answered {(int)response.StatusCode}.");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} ({access}) answered {(int)response.StatusCode} without credentials.");
            }
        }
    }

    [Fact]
    public async Task AgentHubMethods_AreExactlyTheListedOnes_AndOnlyRegisterRunsBeforeRegistering()
    {
        var actual = typeof(AgentHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.DeclaringType == typeof(AgentHub) && m.GetBaseDefinition().DeclaringType == typeof(AgentHub))
            .Select(m => m.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        var listed = ListedHubMethods().Select(h => h.Name).Order(StringComparer.Ordinal).ToList();
        Assert.True(listed.SequenceEqual(actual),
            "The agent hub's methods differ from Security/callable-surface.txt.\nNot listed: " + string.Join(", ", actual.Except(listed)) +
            "\nListed but missing: " + string.Join(", ", listed.Except(actual)));

        await using var server = await TestMeshServer.StartAsync();
        await using var socket = await RawHubSocket.ConnectAsync(server);
        foreach (var (name, access) in ListedHubMethods().Where(h => h.Access == "registered"))
        {
            var parameters = typeof(AgentHub).GetMethod(name)!.GetParameters().Length;
            var invocation = await socket.InvokeAsync(name, new object?[parameters]);
            var completion = await socket.CompletionAsync(invocation);
            Assert.True(completion.TryGetProperty("error", out var error), $"{name} ran on an unregistered connection.");
            Assert.True(error.GetString()!.EndsWith($"Call Register before '{name}'.", StringComparison.Ordinal), $"{name}: {error.GetString()}");
        }
    }

    [Fact]
    public async Task TheHub_RefusesConnectionsWithoutAToken()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var negotiate = await http.PostAsync("/mesh/negotiate?negotiateVersion=1", null);
        using var connect = await http.GetAsync("/mesh");

        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, connect.StatusCode);
    }
}
