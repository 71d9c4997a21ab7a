using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary>The job path on a cluster: server processes on one PostgreSQL and one Redis, claims in the store.</summary>
public sealed class ClusterJobTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = ScaleOutDatabase.NewSchema("cl_");
    private readonly string _prefix = "cl-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ScaleOutDatabase.DropSchemaAsync(_schema);

    [Fact]
    public async Task AJobSubmittedToOneServer_RunsOnAnAgentOfAnother_AndIsWatchedAndCancelledFromTheFirst()
    {
        await using var mesh = new MeshProcesses(output);
        var a = await mesh.StartServerAsync(extraArguments: Cluster("srv-a", mesh.DataDirectory));
        var b = await mesh.StartServerAsync(extraArguments: Cluster("srv-b", NewDataDirectory()));
        await mesh.StartAgentAsync(b.Url, "only-on-b");
        using var api = Api(a);

        var echo = await SubmitAsync(api, """{"command":"echo","parameters":{"n":7}}""");
        var done = await WaitFinalAsync(api, echo);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.Equal("only-on-b", done.GetProperty("agentId").GetString());
        Assert.Equal(7, done.GetProperty("result").GetProperty("n").GetInt32());
        Assert.Equal("srv-b", await OwnerAsync(echo));

        // A long job, held by B, is seen running from A and cancelled from A (A asks its owner).
        var sleep = await SubmitAsync(api, """{"command":"sleep","parameters":{"ms":60000}}""");
        await Wait.UntilAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{sleep}")).GetProperty("status").GetString() == "Running",
            "the long job to run on B", MeshProcesses.StartTimeout);
        using (var cancel = await api.DeleteAsync($"/api/jobs/{sleep}"))
        {
            Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
        }

        var cancelled = await WaitFinalAsync(api, sleep);
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AThousandJobs_RoundRobinOverThreeServers_WhileOneIsKilledTwice_EachCompleteExactlyOnce()
    {
        await using var mesh = new MeshProcesses(output);
        var ids = new[] { "srv-1", "srv-2", "srv-3" };
        var data = ids.Select((_, i) => i == 0 ? mesh.DataDirectory : NewDataDirectory()).ToArray();
        var servers = new ServerProcess[3];
        for (var i = 0; i < 3; i++)
        {
            servers[i] = await mesh.StartServerAsync(extraArguments: Cluster(ids[i], data[i]));
        }

        for (var i = 0; i < 3; i++)
        {
            // Each agent knows every server, its own first (--server repeated): srv-3's move to the others while it is down.
            string[] failover = [.. Enumerable.Range(1, 2).SelectMany(d => new[] { "--server", servers[(i + d) % 3].Url.ToString().TrimEnd('/') }), "--max-concurrent-jobs", "8"];
            await mesh.StartAgentAsync(servers[i].Url, $"w{i}a", extraArguments: failover);
            await mesh.StartAgentAsync(servers[i].Url, $"w{i}b", extraArguments: failover);
        }

        var clients = servers.Select(Api).ToArray();
        const int Jobs = 1000;
        var killer = Task.CompletedTask;
        var submitted = 0;
        var resubmitted = 0;
        var victim = servers[2];

        async Task KillAndRestartAsync(bool waitForTakeover)
        {
            output.WriteLine($"[test] killing srv-3 (pid {victim.Process.Pid}) at {Volatile.Read(ref submitted)} submitted");
            await victim.Process.KillAsync();
            if (waitForTakeover)
            {
                // Down for longer than its job lease (10 s): the others claim its jobs meanwhile.
                await Wait.UntilAsync(async () => await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".servers WHERE id = 'srv-3' AND lease_until < now()") == 1,
                    "srv-3's lease to lapse", TimeSpan.FromSeconds(30));
                await Wait.UntilAsync(async () => await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE NOT final AND owner = 'srv-3' AND status = 0") == 0,
                    "the others to claim srv-3's pending jobs", TimeSpan.FromSeconds(30));

                // Its agents went on to the other servers meanwhile, and work there.
                await Wait.UntilAsync(async () =>
                {
                    var agents = await clients[0].GetFromJsonAsync<JsonElement>("/api/agents");
                    return agents.EnumerateArray().Count(x => x.GetProperty("id").GetString() is "w2a" or "w2b"
                        && x.GetProperty("status").GetString() is "Ready" or "Busy"
                        && x.GetProperty("server").GetString() is "srv-1" or "srv-2") == 2;
                }, "srv-3's agents to be on srv-1 or srv-2", TimeSpan.FromSeconds(30));
            }

            victim = await mesh.StartServerAsync(port: victim.Port, extraArguments: Cluster("srv-3", data[2]));
            clients[2].Dispose();
            clients[2] = Api(victim);
        }

        var slots = new SemaphoreSlim(8);
        var submissions = new List<Task<string>>();
        for (var n = 0; n < Jobs; n++)
        {
            await slots.WaitAsync();
            var index = n;
            submissions.Add(Task.Run(async () =>
            {
                try
                {
                    var body = $$"""{"command":"sleep","parameters":{"ms":40},"idempotencyKey":"k-{{index:0000}}"}""";
                    for (var attempt = 0; ; attempt++)
                    {
                        var client = clients[(index + attempt) % 3];
                        try
                        {
                            var id = await SubmitAsync(client, body);
                            if (attempt > 0)
                            {
                                Interlocked.Increment(ref resubmitted);
                            }

                            return id;
                        }
                        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ObjectDisposedException && attempt < 20)
                        {
                            // That server is down (or the answer was lost): the same key on the next server.
                        }
                    }
                }
                finally
                {
                    Interlocked.Increment(ref submitted);
                    slots.Release();
                }
            }));

            if (n == 250)
            {
                killer = KillAndRestartAsync(waitForTakeover: true);
            }
            else if (n == 700)
            {
                await killer;
                killer = KillAndRestartAsync(waitForTakeover: false);
            }
        }

        var jobIds = await Task.WhenAll(submissions);
        await killer;
        Assert.Equal(Jobs, jobIds.Distinct(StringComparer.Ordinal).Count());

        await Wait.UntilAsync(async () => await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE NOT final") == 0,
            "every job to finish", TimeSpan.FromSeconds(150));
        Assert.Equal(Jobs, await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs"));
        Assert.Equal(Jobs, await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE record->>'status' = 'Completed'"));

        // Exactly once in effect: one completion recorded per job.
        Assert.Equal(0, await ScalarAsync(
            $"SELECT count(*) FROM (SELECT job_id FROM \"{_schema}\".job_events WHERE payload->>'status' = 'Completed' GROUP BY job_id HAVING count(*) > 1) twice"));
        var retried = await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE (record->>'attempt')::int > 1");
        var servedBy = await ScalarAsync($"SELECT count(DISTINCT owner) FROM \"{_schema}\".jobs");
        output.WriteLine($"[test] {Jobs} jobs completed once each; {resubmitted} submissions went to another server; {retried} ran more than one attempt; owners: {servedBy}");
        Assert.Equal(3, servedBy);
        var movedAgentsRan = await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE record->>'agentId' IN ('w2a', 'w2b') AND owner <> 'srv-3'");
        output.WriteLine($"[test] srv-3's agents ran {movedAgentsRan} jobs held by srv-1 or srv-2");
        Assert.True(movedAgentsRan > 0, "srv-3's agents ran jobs for the other servers while it was down");
    }

    private string[] Cluster(string id, string data) => ScaleOutDatabase.ClusterArguments(_schema, _prefix, id, data);

    private static string NewDataDirectory() => ScaleOutDatabase.NewDataDirectory();

    private static Task<string> SubmitAsync(HttpClient api, string body) => ScaleOutDatabase.SubmitAsync(api, body);

    private static Task<JsonElement> WaitFinalAsync(HttpClient api, string jobId) => ScaleOutDatabase.WaitFinalAsync(api, jobId);

    private async Task<string?> OwnerAsync(string jobId)
    {
        await using var connection = new NpgsqlConnection(TestServers.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT owner FROM \"{_schema}\".jobs WHERE id = $1", connection) { Parameters = { new() { Value = jobId } } };
        return await command.ExecuteScalarAsync() as string;
    }

    private static HttpClient Api(ServerProcess server) => ScaleOutDatabase.Api(server, TimeSpan.FromSeconds(10));

    private static Task<long> ScalarAsync(string sql) => ScaleOutDatabase.ScalarAsync(sql);
}
