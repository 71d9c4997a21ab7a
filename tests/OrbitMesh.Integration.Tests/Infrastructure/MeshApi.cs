using System.Net;
using System.Net.Http.Json;

namespace OrbitMesh.Integration.Tests.Infrastructure;

/// <summary>Reads a server process's REST API (<c>/api/agents</c>), treating "not answering" as "not yet".</summary>
public sealed class MeshApi : IDisposable
{
    /// <summary>How often a wait asks the server again.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly HttpClient _http;

    public MeshApi(Uri server)
    {
        // Straight to the server on 127.0.0.1, never through a proxy from the environment.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(5) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
    }

    /// <summary>The latest answer seen by a wait, for failure messages.</summary>
    public string LastSeen { get; private set; } = "(no answer yet)";

    /// <summary>GET /api/agents; null when the server does not answer (it is down or restarting).</summary>
    public async Task<IReadOnlyList<AgentInfo>?> TryGetAgentsAsync()
    {
        try
        {
            var agents = await _http.GetFromJsonAsync<List<AgentInfo>>("/api/agents", OrbitMeshJson.Options);
            LastSeen = Summarize(agents ?? []);
            return agents;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            LastSeen = $"(no answer: {ex.Message})";
            return null;
        }
    }

    /// <summary>GET /api/agents/{id}; null when the server does not answer or does not know the agent.</summary>
    public async Task<AgentInfo?> TryGetAgentAsync(string id)
    {
        try
        {
            using var response = await _http.GetAsync($"/api/agents/{Uri.EscapeDataString(id)}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                LastSeen = $"(404 for {id})";
                return null;
            }

            response.EnsureSuccessStatusCode();
            var agent = await response.Content.ReadFromJsonAsync<AgentInfo>(OrbitMeshJson.Options);
            LastSeen = agent is null ? "(empty)" : Summarize([agent]);
            return agent;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            LastSeen = $"(no answer: {ex.Message})";
            return null;
        }
    }

    /// <summary>Polls /api/agents until <paramref name="condition"/> holds for the listing; returns that listing.</summary>
    public async Task<IReadOnlyList<AgentInfo>> WaitForAgentsAsync(Func<IReadOnlyList<AgentInfo>, bool> condition, string because, TimeSpan timeout)
    {
        IReadOnlyList<AgentInfo>? matched = null;
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var agents = await TryGetAgentsAsync();
                    if (agents is not null && condition(agents))
                    {
                        matched = agents;
                        return true;
                    }

                    return false;
                },
                because,
                timeout,
                PollInterval);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {LastSeen}", ex);
        }

        return matched!;
    }

    /// <summary>Waits until every one of <paramref name="ids"/> is listed Ready.</summary>
    public Task<IReadOnlyList<AgentInfo>> WaitForReadyAsync(IReadOnlyCollection<string> ids, string because, TimeSpan timeout) =>
        WaitForAgentsAsync(agents => ids.All(id => agents.Any(a => a.Id == id && a.Status == AgentStatus.Ready)), because, timeout);

    /// <summary>Polls /api/agents/{id} until <paramref name="condition"/> holds; returns that answer.</summary>
    public async Task<AgentInfo> WaitForAgentAsync(string id, Func<AgentInfo, bool> condition, string because, TimeSpan timeout)
    {
        AgentInfo? matched = null;
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    var agent = await TryGetAgentAsync(id);
                    if (agent is not null && condition(agent))
                    {
                        matched = agent;
                        return true;
                    }

                    return false;
                },
                because,
                timeout,
                PollInterval);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last seen: {LastSeen}", ex);
        }

        return matched!;
    }

    public static string Summarize(IEnumerable<AgentInfo> agents) =>
        "[" + string.Join(", ", agents.Select(a => $"{a.Id}={a.Status} (connected {a.ConnectedAt:HH:mm:ss.fff}, heartbeat {a.LastHeartbeatAt:HH:mm:ss.fff})")) + "]";

    public void Dispose() => _http.Dispose();
}
