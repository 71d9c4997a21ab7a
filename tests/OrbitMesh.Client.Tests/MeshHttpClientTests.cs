using System.Collections.Concurrent;
using System.Text.Json;
using OrbitMesh.Agent;

namespace OrbitMesh.Client.Tests;

/// <summary>The remote IMeshClient against a real server: every API level, and errors as the in-process client throws them.</summary>
public sealed class MeshHttpClientTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _sent = new();
    private TestMeshServer _server = null!;
    private MeshAgent _agent = null!;
    private MeshHttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = "client-test-key";
            o.Jobs.NoAgentTimeout = TimeSpan.FromMilliseconds(300);
        });
        _agent = _server.NewAgent("remote-agent").WithGroups("g")
            .RegisterHandler("add", c => c.GetParameter<int>("a") + c.GetParameter<int>("b"))
            .RegisterHandler("note", c =>
            {
                _sent.Enqueue(c.GetParameter<string>("text"));
                return null;
            })
            .RegisterHandler("wait", async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return null;
            })
            .RegisterStreamHandler("count", Count)
            .RegisterStreamHandler("shout", Shout)
            .OnRaw(bytes =>
            {
                _sent.Enqueue("raw:" + Convert.ToHexString(bytes.Span));
                return Task.CompletedTask;
            })
            .Build();
        await _agent.ConnectAsync();
        _client = new MeshHttpClient(_server.Url, "client-test-key");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Agents_AreListed()
    {
        var agents = await _client.GetAgentsAsync();
        Assert.Equal("remote-agent", Assert.Single(agents).Id);
        Assert.Equal(AgentStatus.Ready, (await _client.GetAgentAsync("remote-agent"))!.Status);
        Assert.Null(await _client.GetAgentAsync("nobody"));
    }

    [Fact]
    public async Task GetTwinAsync_ReturnsWhatTheAgentReported_AndNullForAnUnknownAgent()
    {
        await _agent.Twin.ReportAsync(new { gpu = new { utilization = 42.5 } });

        await Wait.UntilAsync(
            async () => (await _client.GetTwinAsync("remote-agent"))?.Reported.TryGetProperty("gpu", out _) == true,
            "the reported properties reach the server");
        var twin = await _client.GetTwinAsync("remote-agent");
        Assert.Equal("remote-agent", twin!.AgentId);
        Assert.Equal(42.5, twin.Reported.GetProperty("gpu").GetProperty("utilization").GetDouble());
        Assert.True(twin.ReportedVersion >= 1);
        Assert.Null(await _client.GetTwinAsync("nobody"));
    }

    [Fact]
    public async Task Execute_ReturnsTheResult()
    {
        var result = await _client.ExecuteAsync(new JobRequest { Command = "add", Parameters = Json(new { a = 2, b = 3 }) });
        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal(5, result.GetResult<int>());
    }

    [Fact]
    public async Task Submit_Get_List_Watch()
    {
        var job = await _client.SubmitAsync(new JobRequest { Command = "add", Parameters = Json(new { a = 1, b = 1 }), CorrelationId = "corr-1" });
        var events = new List<JobEvent>();
        await foreach (var jobEvent in _client.WatchJobAsync(job.Id))
        {
            events.Add(jobEvent);
        }

        Assert.Equal(JobStatus.Completed, events[^1].Status);
        Assert.Equal(2, (await _client.GetJobAsync(job.Id))!.Result!.Value.GetInt32());
        Assert.Contains(await _client.ListJobsAsync(new JobQuery { CorrelationId = "corr-1" }), j => j.Id == job.Id);
        Assert.Null(await _client.GetJobAsync("job_nope"));
    }

    [Fact]
    public async Task Watch_AFinishedStreamingJob_ReplaysItsItems_AndResumesAfterASequence()
    {
        var job = await _client.SubmitAsync(new JobRequest { Command = "count", Pattern = ExecutionPattern.Streaming, Parameters = Json(new { n = 20 }) });
        await Wait.UntilAsync(async () => (await _client.GetJobAsync(job.Id))!.Status == JobStatus.Completed, "the job to complete");

        var whole = new List<JobEvent>();
        await foreach (var jobEvent in _client.WatchJobAsync(job.Id))
        {
            whole.Add(jobEvent);
        }

        Assert.Equal(Enumerable.Range(1, 20), whole.Where(e => e.Type == JobEventType.Item).Select(e => e.Item!.Value.GetInt32()));
        Assert.Equal(JobStatus.Pending, whole[0].Status);
        Assert.True(whole[^1].IsFinal);

        var tenth = whole.Where(e => e.Type == JobEventType.Item).ElementAt(9).Sequence;
        var rest = new List<JobEvent>();
        await foreach (var jobEvent in _client.WatchJobAsync(job.Id, tenth))
        {
            rest.Add(jobEvent);
        }

        Assert.Equal(whole.Where(e => e.Sequence > tenth).Select(e => e.Sequence), rest.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(11, 10), rest.Where(e => e.Type == JobEventType.Item).Select(e => e.Item!.Value.GetInt32()));
    }

    [Fact]
    public async Task Stream_ItemsThenEnd()
    {
        var items = new List<int>();
        await foreach (var item in _client.StreamAsync<int>(new JobRequest { Command = "count", Parameters = Json(new { n = 200 }) }))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(1, 200), items);
    }

    [Fact]
    public async Task Stream_WithInput_IsEchoedBack()
    {
        var output = new List<string>();
        await foreach (var item in _client.StreamAsync<string, string>(new JobRequest { Command = "shout" }, Words()))
        {
            output.Add(item);
        }

        Assert.Equal(["A", "B", "C"], output);

        static async IAsyncEnumerable<string> Words()
        {
            foreach (var w in new[] { "a", "b", "c" })
            {
                await Task.Yield();
                yield return w;
            }
        }
    }

    [Fact]
    public async Task Cancel_ARunningJob()
    {
        var job = await _client.SubmitAsync(new JobRequest { Command = "wait" });
        await Wait.UntilAsync(async () => (await _client.GetJobAsync(job.Id))!.Status == JobStatus.Running, "the job to run");
        Assert.True(await _client.CancelJobAsync(job.Id));
        await Wait.UntilAsync(async () => (await _client.GetJobAsync(job.Id))!.Status == JobStatus.Cancelled, "the job to end Cancelled");
        Assert.False(await _client.CancelJobAsync(job.Id));
    }

    [Fact]
    public async Task FanOutAndRolling()
    {
        var all = await _client.ExecuteOnAllAsync(new JobRequest { Command = "add", Parameters = Json(new { a = 4, b = 4 }), Target = AgentTarget.InGroup("g") });
        Assert.Equal(8, Assert.Single(all).Result.GetResult<int>());

        var rolling = await _client.ExecuteRollingAsync(new JobRequest { Command = "add", Parameters = Json(new { a = 1, b = 0 }) }, 50);
        Assert.True(rolling.Completed);
    }

    [Fact]
    public async Task CommunicationLevel_InvokeSendRaw()
    {
        Assert.Equal(9, await _client.InvokeAsync<int>("remote-agent", "add", new { a = 4, b = 5 }));
        await _client.SendAsync("remote-agent", "note", new { text = "sent" });
        await _client.SendRawAsync("remote-agent", new byte[] { 0xCA, 0xFE });
        await Wait.UntilAsync(() => _sent.Contains("sent") && _sent.Contains("raw:CAFE"), "the send and the raw bytes to arrive");
    }

    [Fact]
    public async Task Errors_MapToTheSameExceptions()
    {
        var noAgent = await Assert.ThrowsAsync<MeshInvocationException>(() => _client.InvokeAsync<int>("ghost", "add"));
        Assert.Equal(MeshErrorCodes.NoAgent, noAgent.Code);

        var invalid = await Assert.ThrowsAsync<MeshValidationException>(() => _client.SubmitAsync(new JobRequest { Command = "add", MaxAttempts = 0 }));
        Assert.Contains(invalid.Errors, e => e.Contains("maxAttempts", StringComparison.Ordinal));

        var handler = await Assert.ThrowsAsync<MeshInvocationException>(() => _client.InvokeAsync<int>("remote-agent", "add", new { a = "x" }));
        Assert.Equal(MeshErrorCodes.InvalidParameters, handler.Code);

        using var wrongKey = new MeshHttpClient(_server.Url, "wrong-key-123");
        await Assert.ThrowsAsync<MeshAuthenticationException>(() => wrongKey.GetAgentsAsync());

        using var nowhere = new MeshHttpClient(new Uri($"http://127.0.0.1:{FreePort.Next()}"));
        await Assert.ThrowsAsync<MeshConnectionException>(() => nowhere.GetAgentsAsync());
    }

    [Fact]
    public async Task Execute_CancelledByTheCaller_CancelsTheJob()
    {
        using var cts = new CancellationTokenSource();
        var running = _client.ExecuteAsync(new JobRequest { Command = "wait", CorrelationId = "cancel-me" }, cts.Token);
        await Wait.UntilAsync(async () => (await _client.ListJobsAsync(new JobQuery { CorrelationId = "cancel-me", Status = JobStatus.Running })).Count == 1, "the job to run");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Wait.UntilAsync(async () => (await _client.ListJobsAsync(new JobQuery { CorrelationId = "cancel-me", Status = JobStatus.Cancelled })).Count == 1, "the job to be cancelled");
    }

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value, OrbitMeshJson.Options);

    private static async IAsyncEnumerable<object?> Count(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 1; i <= command.GetParameter<int>("n"); i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<object?> Shout(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var word in command.ReadInputAsync<string>(ct))
        {
            yield return word.ToUpperInvariant();
        }
    }
}
