using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using OrbitMesh.Server;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Tests.Infrastructure;

/// <summary>
/// A real server (127.0.0.1, a free port) with the dashboard at /dashboard and three users, one per
/// role. The REST API stays open to anonymous loopback callers (the test's own setup calls), unless
/// <c>closedApi</c>; the dashboard always needs a sign-in unless <c>insecure</c>.
/// </summary>
public sealed partial class DashboardServer : IAsyncDisposable
{
    public const string Password = "correct-horse-battery";

    private DashboardServer(TestMeshServer server) => Mesh = server;

    public TestMeshServer Mesh { get; }

    public Uri Url => Mesh.Url;

    public Uri DashboardUrl => new(Mesh.Url, "/dashboard/");

    /// <summary>
    /// Starts the server. <paramref name="refreshInterval"/> is the pages' periodic reload (200 ms unless
    /// given); the browser tests pass the longest one, so what they see change was pushed by an event.
    /// </summary>
    public static async Task<DashboardServer> StartAsync(bool insecure = false, bool closedApi = false, Action<OrbitMeshServerOptions>? configure = null, TimeSpan? refreshInterval = null)
    {
        var server = await TestMeshServer.StartAsync(
            o =>
            {
                o.Security.InsecureDevelopmentMode = insecure;
                o.Security.AllowAnonymousLoopbackApi = insecure || !closedApi;
                configure?.Invoke(o);
            },
            services: s =>
            {
                OrbitMesh.Workflows.WorkflowServiceCollectionExtensions.AddOrbitMeshWorkflows(s);
                s.AddOrbitMeshDashboard(o => o.RefreshInterval = refreshInterval ?? TimeSpan.FromMilliseconds(200));
            },
            mapExtra: app => app.MapOrbitMeshDashboard("/dashboard"));
        var users = server.Services.GetRequiredService<UserAccounts>();
        foreach (var role in OrbitMeshRoles.All)
        {
            var (outcome, errors) = await users.CreateAsync(role, Password, role);
            Assert.True(outcome == UserCreateOutcome.Created, string.Join(" ", errors));
        }

        return new DashboardServer(server);
    }

    /// <summary>A client with its own cookie jar that does not follow redirects.</summary>
    public HttpClient NewBrowserlessClient(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Url };
    }

    /// <summary>Signs in through the login form (antiforgery token and all) and returns a client holding the session.</summary>
    public async Task<HttpClient> SignInAsync(string username)
    {
        var client = NewBrowserlessClient(out _);
        var token = await FormTokenAsync(client, "/dashboard/login");
        using var response = await client.PostAsync("/dashboard/sign-in", Form(token, ("username", username), ("password", Password)));
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Sign-in answered {(int)response.StatusCode}. {Errors()}");
        Assert.Equal("/dashboard/", response.Headers.Location?.OriginalString);
        return client;
    }

    /// <summary>The antiforgery token of the first form on <paramref name="path"/>, as the page rendered it for this client.</summary>
    public static async Task<string> FormTokenAsync(HttpClient client, string path)
    {
        using var page = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var match = TokenInput().Match(html);
        Assert.True(match.Success, $"No antiforgery token on {path}.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static FormUrlEncodedContent Form(string? antiforgeryToken, params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))
            .Concat(antiforgeryToken is null ? [] : [KeyValuePair.Create("__RequestVerificationToken", antiforgeryToken)]));

    /// <summary>The exceptions the server logged, for failure messages.</summary>
    public string Errors() => string.Join("\n", Mesh.Logs.Entries.Where(e => e.Exception is not null).Select(e => e.Exception!.ToString()));

    public ValueTask DisposeAsync() => Mesh.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}
