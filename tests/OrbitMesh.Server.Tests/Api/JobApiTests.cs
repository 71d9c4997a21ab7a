using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>The REST job contract of design.md, and its answers to bad input.</summary>
public sealed class JobApiTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private OrbitMesh.Agent.MeshAgent _agent = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMilliseconds(300));
        _agent = _server.NewAgent("api-agent")
            .RegisterHandler("echo", c => c.Parameters)
            .RegisterHandler("typed", c => c.GetParameter<int>("n"))
            .RegisterHandler("sleep", async (c, ct) =>
            {
                var ms = c.GetParameter("ms", 100);
                for (var i = 1; i <= 4; i++)
                {
                    await Task.Delay(ms / 4, ct);
                    await c.ReportProgressAsync(i * 25, $"quarter {i}", ct);
                }

                return "slept";
            })
            .RegisterStreamHandler("count", Count)
            .Build();
        await _agent.ConnectAsync();
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Post_Returns202WithIdAndStatus_ThenGetShowsTheResult()
    {
        using var response = await PostJsonAsync("/api/jobs", """{"command":"echo","parameters":{"a":1}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = accepted.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location!.OriginalString);

        JsonElement job = default;
        await Wait.UntilAsync(async () => (job = await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("status").GetString() == "Completed", "the job to complete");
        foreach (var field in new[] { "id", "command", "status", "agentId", "attempts", "result", "createdAt", "completedAt" })
        {
            Assert.True(job.TryGetProperty(field, out _), $"GET /api/jobs/{{id}} lacks '{field}'");
        }

        Assert.Equal(1, job.GetProperty("result").GetProperty("a").GetInt32());
        Assert.Equal("api-agent", job.GetProperty("agentId").GetString());
    }

    [Fact]
    public async Task Post_SameIdempotencyKey_Returns200WithTheExistingJob()
    {
        using var first = await PostJsonAsync("/api/jobs", """{"command":"echo","idempotencyKey":"rest-key","parameters":{"v":1}}""");
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        await Wait.UntilAsync(async () => (await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("status").GetString() == "Completed", "the first job to complete");

        using var second = await PostJsonAsync("/api/jobs", """{"command":"echo","idempotencyKey":"rest-key","parameters":{"v":1}}""");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var body = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("id").GetString());
        Assert.True(body.GetProperty("existing").GetBoolean());
        Assert.Equal(1, body.GetProperty("result").GetProperty("v").GetInt32());
    }

    [Fact]
    public async Task Post_SameIdempotencyKeyWithDifferentParameters_Is409NamingTheDifference()
    {
        using var first = await PostJsonAsync("/api/jobs", """{"command":"echo","idempotencyKey":"changed-key","parameters":{"v":1,"w":"same"}}""");
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        using var changed = await PostJsonAsync("/api/jobs", """{"command":"echo","idempotencyKey":"changed-key","parameters":{"v":2,"w":"same"}}""");
        using var otherCommand = await PostJsonAsync("/api/jobs", """{"command":"typed","idempotencyKey":"changed-key","parameters":{"v":1,"w":"same"}}""");

        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        var problem = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("idempotency_conflict", problem.GetProperty("code").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains($"was used for job {id}", detail, StringComparison.Ordinal);
        Assert.Contains("parameters differ: v", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("same", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, otherCommand.StatusCode);
        Assert.Contains("command 'echo' ≠ 'typed'", await otherCommand.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_AreServerSentEvents_WithProgressAndAFinalStatus()
    {
        using var post = await PostJsonAsync("/api/jobs", """{"command":"sleep","parameters":{"ms":200},"pattern":"LongRunning"}""");
        var id = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var response = await _http.GetAsync($"/api/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Contains("event: progress", text, StringComparison.Ordinal);
        Assert.Contains("event: status", text, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"Completed\"", text, StringComparison.Ordinal);
        Assert.Contains("quarter 4", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_AcceptingEventStream_StreamsItemsFromTheFirstOne()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = new StringContent("""{"command":"count","parameters":{"n":50},"pattern":"Streaming"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();

        var items = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[5..]).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "Item")
            .Select(e => e.GetProperty("item").GetInt32())
            .ToList();
        Assert.Equal(Enumerable.Range(1, 50), items);
    }

    [Fact]
    public async Task Delete_CancelsARunningJob_409WhenAlreadyFinished_404WhenUnknown()
    {
        using var post = await PostJsonAsync("/api/jobs", """{"command":"sleep","parameters":{"ms":20000}}""");
        var id = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        await Wait.UntilAsync(async () => (await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("status").GetString() == "Running", "the job to run");

        using var cancel = await _http.DeleteAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await Wait.UntilAsync(async () => (await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("status").GetString() == "Cancelled", "the job to end Cancelled");

        using var again = await _http.DeleteAsync($"/api/jobs/{id}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var unknown = await _http.DeleteAsync("/api/jobs/job_does_not_exist");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task List_FiltersByStatus_IncludingDeadLettered()
    {
        using var post = await PostJsonAsync("/api/jobs", """{"command":"typed","parameters":{"n":1}}""");
        await Wait.UntilAsync(async () => (await _http.GetFromJsonAsync<JsonElement>("/api/jobs?status=completed")).GetArrayLength() >= 1, "a completed job to be listed");

        var deadLettered = await _http.GetFromJsonAsync<JsonElement>("/api/jobs?status=deadlettered");
        Assert.Equal(JsonValueKind.Array, deadLettered.ValueKind);

        using var bad = await _http.GetAsync("/api/jobs?status=sideways");
        await AssertProblemAsync(bad, HttpStatusCode.BadRequest, "sideways");
    }

    [Theory]
    [InlineData("{not json", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("", HttpStatusCode.BadRequest, "empty")]
    [InlineData("""{"command":5}""", HttpStatusCode.BadRequest, "$.command")]
    [InlineData("""{"parameters":{}}""", HttpStatusCode.UnprocessableEntity, "command is required")]
    [InlineData("""{"command":"echo","maxAttempts":0}""", HttpStatusCode.UnprocessableEntity, "maxAttempts")]
    [InlineData("""{"command":"echo","target":{"agentId":"a","group":"g"}}""", HttpStatusCode.UnprocessableEntity, "exactly one")]
    [InlineData("""{"command":"echo","priority":"Urgent"}""", HttpStatusCode.BadRequest, "$.priority")]
    [InlineData("""{"command":"bad\u0001name"}""", HttpStatusCode.UnprocessableEntity, "control characters")]
    public async Task Post_BadInput_IsAClearProblem(string body, HttpStatusCode status, string mention)
    {
        using var response = await PostJsonAsync("/api/jobs", body);
        await AssertProblemAsync(response, status, mention);
    }

    [Fact]
    public async Task Post_NotJson_Is415_AndOversize_Is413()
    {
        using var text = await _http.PostAsync("/api/jobs", new StringContent("command=echo", Encoding.UTF8, "text/plain"));
        await AssertProblemAsync(text, HttpStatusCode.UnsupportedMediaType, "JSON");

        var huge = "{\"command\":\"echo\",\"parameters\":{\"blob\":\"" + new string('x', 5 * 1024 * 1024) + "\"}}";
        using var oversize = await PostJsonAsync("/api/jobs", huge);
        await AssertProblemAsync(oversize, HttpStatusCode.RequestEntityTooLarge, "larger than");
    }

    [Fact]
    public async Task BadJobs_FailClearly_AndTheQueueKeepsFlowing()
    {
        using var noAgent = await PostJsonAsync("/api/jobs", """{"command":"nobody-has-this"}""");
        using var wrongShape = await PostJsonAsync("/api/jobs", """{"command":"typed","parameters":{"n":"seven"}}""");
        var noAgentId = (await noAgent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var wrongShapeId = (await wrongShape.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var good = await PostJsonAsync("/api/jobs", """{"command":"typed","parameters":{"n":7}}""");
        var goodId = (await good.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var finals = new Dictionary<string, JsonElement>();
        await Wait.UntilAsync(async () =>
        {
            foreach (var id in new[] { noAgentId!, wrongShapeId!, goodId! })
            {
                var job = await _http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
                if (job.GetProperty("status").GetString() is "Completed" or "Failed")
                {
                    finals[id] = job;
                }
            }

            return finals.Count == 3;
        }, "all three jobs to end");

        Assert.Equal("no_agent", finals[noAgentId!].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("invalid_parameters", finals[wrongShapeId!].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(7, finals[goodId!].GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task QueueFull_Is429WithRetryAfter()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.MaxPendingJobs = 1;
            o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5);
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        using var first = await http.PostAsync("/api/jobs", new StringContent("""{"command":"x"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        using var second = await http.PostAsync("/api/jobs", new StringContent("""{"command":"x"}""", Encoding.UTF8, "application/json"));
        await AssertProblemAsync(second, HttpStatusCode.TooManyRequests, "full");
        Assert.NotNull(second.Headers.RetryAfter);
    }

    [Fact]
    public async Task Invoke_CommunicationLevel_OverRest()
    {
        using var ok = await PostJsonAsync("/api/agents/api-agent/invoke", """{"command":"typed","parameters":{"n":3}}""");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(3, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("result").GetInt32());

        using var missing = await PostJsonAsync("/api/agents/ghost/invoke", """{"command":"typed"}""");
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "ghost");

        using var failing = await PostJsonAsync("/api/agents/api-agent/invoke", """{"command":"typed","parameters":{"n":"x"}}""");
        await AssertProblemAsync(failing, HttpStatusCode.UnprocessableEntity, "'n'");
    }

    private Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string mention)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(mention, problem.GetProperty("detail").GetString()!, StringComparison.OrdinalIgnoreCase);
    }

    private static async IAsyncEnumerable<object?> Count(OrbitMesh.Agent.MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 1; i <= command.GetParameter<int>("n"); i++)
        {
            await Task.Yield();
            yield return i;
        }
    }
}
