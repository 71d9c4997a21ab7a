using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using OrbitMesh.Api;
using OrbitMesh.Twins;
using OrbitMesh.Workflows;

namespace OrbitMesh.Client;

/// <summary>
/// An <see cref="IMeshClient"/> that drives a server remotely through its REST API: jobs are submitted
/// with <c>POST /api/jobs</c> and followed as server-sent events; communication-level calls go through
/// <c>/api/agents/{id}/invoke|send|raw</c>. Errors come back as the same exceptions the in-process
/// client throws (<see cref="MeshInvocationException"/>, <see cref="MeshValidationException"/>,
/// <see cref="MeshQueueFullException"/>, <see cref="MeshAuthenticationException"/>).
/// </summary>
/// <remarks>A remote input stream is buffered and sent in the request body (at most <see cref="MeshClientOptions.MaxInputItems"/> items).</remarks>
public sealed partial class MeshHttpClient : IMeshClient, IWorkflowClient, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly MeshClientOptions _options;

    /// <summary>Creates a client for a server.</summary>
    public MeshHttpClient(Uri server, string? apiKey = null)
        : this(new MeshClientOptions { Server = server, ApiKey = apiKey })
    {
    }

    /// <summary>Creates a client from options.</summary>
    public MeshHttpClient(MeshClientOptions options)
        : this(new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = options?.ServerCertificateValidation },
        }), options!, ownsHttp: true)
    {
    }

    /// <summary>Creates a client on an existing <see cref="HttpClient"/> (its base address is set from the options).</summary>
    public MeshHttpClient(HttpClient http, MeshClientOptions options)
        : this(http, options, ownsHttp: false)
    {
    }

    private MeshHttpClient(HttpClient http, MeshClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Server is null || options.Server.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("MeshClientOptions.Server must be an http or https URL.", nameof(options));
        }

        _http = http;
        _ownsHttp = ownsHttp;
        _options = options;
        _http.BaseAddress = options.Server;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            _http.DefaultRequestHeaders.Remove("X-Api-Key");
            _http.DefaultRequestHeaders.Add("X-Api-Key", options.ApiKey);
        }
        else if (!string.IsNullOrEmpty(options.AccessToken))
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.AccessToken);
        }
    }

    // ---- agents ----

    /// <inheritdoc />
    public async Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default) =>
        await SendJsonAsync<List<AgentInfo>>(HttpMethod.Get, "/api/agents", null, cancellationToken).ConfigureAwait(false) ?? [];

    /// <inheritdoc />
    public Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default) =>
        GetOrNullAsync<AgentInfo>($"/api/agents/{Uri.EscapeDataString(agentId)}", cancellationToken);

    /// <summary>
    /// An agent's twin: the desired properties set for it and the reported properties it last sent
    /// (for example its GPU utilization), or null when the agent is unknown. What an application
    /// reads to choose an agent by the state the agent reports.
    /// </summary>
    public Task<AgentTwin?> GetTwinAsync(string agentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        return GetOrNullAsync<AgentTwin>($"/api/agents/{Uri.EscapeDataString(agentId)}/twin", cancellationToken);
    }

    // ---- execution level ----

    /// <inheritdoc />
    public async Task<JobRecord> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var accepted = await SendJsonAsync<JobAccepted>(HttpMethod.Post, "/api/jobs", JobSubmission.FromRequest(request), cancellationToken).ConfigureAwait(false);
        return await GetJobAsync(accepted!.Id, cancellationToken).ConfigureAwait(false)
            ?? new JobRecord { Id = accepted.Id, Command = request.Command, Status = accepted.Status };
    }

    /// <summary>
    /// Submits a job and returns the server's answer as it is: the id, the status, and whether the
    /// idempotency key returned an earlier job (<see cref="JobAccepted.Existing"/>, with its result).
    /// </summary>
    public async Task<JobAccepted> SubmitForAnswerAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (await SendJsonAsync<JobAccepted>(HttpMethod.Post, "/api/jobs", JobSubmission.FromRequest(request), cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<JobResult> ExecuteAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? jobId = null;
        try
        {
            JobEvent? last = null;
            await foreach (var (id, jobEvent) in SubmitAndFollowAsync(JobSubmission.FromRequest(request), cancellationToken).ConfigureAwait(false))
            {
                jobId = id;
                last = jobEvent;
            }

            if (last is { IsFinal: true })
            {
                return new JobResult
                {
                    JobId = last.JobId,
                    Status = last.Status,
                    Result = last.Result,
                    Error = last.Error,
                    AgentId = last.AgentId,
                    Attempts = last.Attempt,
                    CompletedAt = last.Timestamp,
                };
            }

            // The event stream ended early (a proxy closed it): read the final state.
            var job = jobId is null ? null : await GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
            return job?.ToResult() ?? throw new OrbitMeshException("The server closed the job's event stream before the job ended.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && jobId is not null)
        {
            await CancelJobAsync(jobId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<T> StreamAsync<T>(JobRequest request, CancellationToken cancellationToken = default) =>
        StreamCoreAsync<T>(JobSubmission.FromRequest(request with { Pattern = ExecutionPattern.Streaming }), cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<T> StreamAsync<TInput, T>(JobRequest request, IAsyncEnumerable<TInput> input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var items = new List<JsonElement>();
        await foreach (var item in input.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == _options.MaxInputItems)
            {
                throw new MeshValidationException([$"A remote input stream may have at most {_options.MaxInputItems} items."]);
            }

            items.Add(JsonSerializer.SerializeToElement(item, OrbitMeshJson.Options));
        }

        await foreach (var result in StreamCoreAsync<T>(JobSubmission.FromRequest(request with { Pattern = ExecutionPattern.Streaming }, items), cancellationToken).ConfigureAwait(false))
        {
            yield return result;
        }
    }

    private async IAsyncEnumerable<T> StreamCoreAsync<T>(JobSubmission submission, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? jobId = null;
        var finished = false;
        try
        {
            await foreach (var (id, jobEvent) in SubmitAndFollowAsync(submission, cancellationToken).ConfigureAwait(false))
            {
                jobId = id;
                if (jobEvent.Type == JobEventType.Item && jobEvent.Item is { } item)
                {
                    yield return item.Deserialize<T>(OrbitMeshJson.Options)!;
                }
                else if (jobEvent.IsFinal)
                {
                    finished = true;
                    if (jobEvent.Status != JobStatus.Completed)
                    {
                        throw new MeshInvocationException(jobEvent.Error ?? new JobError(MeshErrorCodes.Internal, $"The job ended {jobEvent.Status}."), agentId: jobEvent.AgentId);
                    }
                }
            }
        }
        finally
        {
            if (!finished && jobId is not null)
            {
                await CancelJobAsync(jobId, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Submits a job and yields its events from the very first one (status, progress, stream items), ending
    /// with its final status: nothing is missed, as it could be by watching after submitting. Each event
    /// carries the job's id. Leaving early does not cancel the job.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> SubmitAndWatchAsync(JobRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await foreach (var (id, jobEvent) in SubmitAndFollowAsync(JobSubmission.FromRequest(request), cancellationToken).ConfigureAwait(false))
        {
            yield return jobEvent with { JobId = id };
        }
    }

    /// <summary>Submits with <c>Accept: text/event-stream</c> and yields the job's events from its first one.</summary>
    private async IAsyncEnumerable<(string JobId, JobEvent Event)> SubmitAndFollowAsync(JobSubmission submission, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent(submission) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var jobId = response.Headers.TryGetValues("X-OrbitMesh-Job", out var values) ? values.First() : string.Empty;
        await foreach (var jobEvent in ReadEventsAsync(response, cancellationToken).ConfigureAwait(false))
        {
            yield return (jobId.Length > 0 ? jobId : jobEvent.JobId, jobEvent);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AgentJobResult>> ExecuteOnAllAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var rolling = await SendJsonAsync<RollingResult>(HttpMethod.Post, "/api/jobs/all", JobSubmission.FromRequest(request), cancellationToken).ConfigureAwait(false);
        return rolling!.Batches.SelectMany(b => b).ToList();
    }

    /// <inheritdoc />
    public async Task<RollingResult> ExecuteRollingAsync(JobRequest request, int batchPercent, CancellationToken cancellationToken = default) =>
        (await SendJsonAsync<RollingResult>(HttpMethod.Post, "/api/jobs/all", JobSubmission.FromRequest(request) with { BatchPercent = batchPercent }, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc />
    public async Task<JobRecord?> GetJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        (await GetOrNullAsync<JobView>($"/api/jobs/{Uri.EscapeDataString(jobId)}", cancellationToken).ConfigureAwait(false))?.ToRecord();

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var path = new StringBuilder("/api/jobs?limit=").Append(query.Limit.ToString(CultureInfo.InvariantCulture));
        Append(path, "status", query.Status?.ToString());
        Append(path, "command", query.Command);
        Append(path, "agentId", query.AgentId);
        Append(path, "correlationId", query.CorrelationId);
        var views = await SendJsonAsync<List<JobView>>(HttpMethod.Get, path.ToString(), null, cancellationToken).ConfigureAwait(false) ?? [];
        return views.Select(v => v.ToRecord()).ToList();

        static void Append(StringBuilder path, string name, string? value)
        {
            if (value is not null)
            {
                path.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }
    }

    /// <inheritdoc />
    public async Task<bool> CancelJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/api/jobs/{Uri.EscapeDataString(jobId)}");
        using var response = await SendUncheckedAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, CancellationToken cancellationToken = default) => WatchJobAsync(jobId, 0, cancellationToken);

    /// <inheritdoc />
    /// <remarks>A dropped connection is resumed with <c>Last-Event-ID</c> (up to 10 times): no event is missed or repeated.</remarks>
    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, long afterSequence, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return ResumableEventsAsync<JobEvent>(
            $"/api/jobs/{Uri.EscapeDataString(jobId)}/events", afterSequence, e => e.Sequence, e => e.IsFinal, $"job '{jobId}'", "job",
            (request, ct) => SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct), cancellationToken);
    }

    // ---- communication level ----

    /// <inheritdoc />
    public async Task<T?> InvokeAsync<T>(string agentId, string command, object? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var answer = await SendJsonAsync<InvokeAnswer>(HttpMethod.Post, $"/api/agents/{Uri.EscapeDataString(agentId)}/invoke", new InvokeSubmission
        {
            Command = command,
            Parameters = OrbitMeshJson.ToElement(parameters),
            TimeoutSeconds = timeout?.TotalSeconds,
        }, cancellationToken).ConfigureAwait(false);
        return answer?.Result is { } result ? result.Deserialize<T>(OrbitMeshJson.Options) : default;
    }

    /// <inheritdoc />
    public async Task SendAsync(string agentId, string command, object? parameters = null, CancellationToken cancellationToken = default) =>
        await SendJsonAsync<object>(HttpMethod.Post, $"/api/agents/{Uri.EscapeDataString(agentId)}/send",
            new InvokeSubmission { Command = command, Parameters = OrbitMeshJson.ToElement(parameters) }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task SendRawAsync(string agentId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/agents/{Uri.EscapeDataString(agentId)}/raw")
        {
            Content = new ByteArrayContent(payload.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    // ---- server extensions ----

    /// <summary>
    /// POSTs <paramref name="body"/> as JSON to <paramref name="path"/>, a route that a server extension maps (such as
    /// Orbit Grid's <c>/api/grid/copies</c>), with this client's credentials, and reads the JSON answer. Failures throw
    /// as for every other call. The call waits as long as the route takes (no <see cref="MeshClientOptions.RequestTimeout"/>):
    /// cancel <paramref name="cancellationToken"/> to stop waiting.
    /// </summary>
    public async Task<T?> PostAsync<T>(string path, object? body, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = JsonContent(body);
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    // ---- plumbing ----

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendUncheckedAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return default;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T?> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent(body);
        }

        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (typeof(T) == typeof(object) || response.Content.Headers.ContentLength == 0)
        {
            return default;
        }

        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var response = await SendUncheckedAsync(request, completion, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Sends, turning transport failures into <see cref="MeshConnectionException"/>; the status is for the caller to check.</summary>
    private async Task<HttpResponseMessage> SendUncheckedAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var timeout = completion == HttpCompletionOption.ResponseContentRead ? new CancellationTokenSource(_options.RequestTimeout) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            if (string.IsNullOrEmpty(_options.ApiKey) && string.IsNullOrEmpty(_options.AccessToken) && _options.AccessTokenProvider is { } provider
                && await provider(linked.Token).ConfigureAwait(false) is { Length: > 0 } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return await _http.SendAsync(request, completion, linked.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new MeshConnectionException($"Cannot reach the server at {_http.BaseAddress}: {ex.Message}", ex);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new MeshConnectionException("timeout", $"The server at {_http.BaseAddress} did not answer within {_options.RequestTimeout.TotalSeconds:0} s.", null, isRetryable: true);
        }
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, body.GetType(), OrbitMeshJson.Options), Encoding.UTF8, "application/json");

    /// <summary>Turns a problem+json answer into the exception the in-process client would throw.</summary>
    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? detail = null;
        string? code = null;
        string? errorType = null;
        List<string>? errors = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("title", out var t) ? t.GetString() : null;
                code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
                errorType = root.TryGetProperty("errorType", out var et) ? et.GetString() : null;
                if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    errors = list.EnumerateArray().Select(e => e.ToString()).ToList();
                }
            }
        }
        catch (JsonException)
        {
        }

        var status = (int)response.StatusCode;
        var message = detail ?? (string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? "error" : body.Trim());
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new MeshAuthenticationException($"The server refused the request ({status}): {message}") { StatusCode = status },
            HttpStatusCode.TooManyRequests => new MeshQueueFullException(message, response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1)),
            HttpStatusCode.UnprocessableEntity when errors is not null => new MeshValidationException(errors),
            HttpStatusCode.BadRequest => new MeshValidationException([message]),
            HttpStatusCode.Conflict when code == "idempotency_conflict" => new MeshIdempotencyConflictException(message),
            _ when code is not null => new MeshInvocationException(new JobError(code, message, errorType)),
            HttpStatusCode.NotFound => new MeshInvocationException(new JobError(MeshErrorCodes.NoAgent, message)),
            _ => new OrbitMeshException(MeshErrorCodes.Internal, $"The server answered {status}: {message}"),
        };
    }

    /// <summary>Reads server-sent events until the job's final event.</summary>
    private static async IAsyncEnumerable<JobEvent> ReadEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var jobEvent in ReadServerSentAsync<JobEvent>(response, cancellationToken).ConfigureAwait(false))
        {
            yield return jobEvent;
            if (jobEvent.IsFinal)
            {
                yield break;
            }
        }
    }

    /// <summary>Reads server-sent events (<c>event:</c>, <c>data:</c>, blank line): each event's data as JSON.</summary>
    private static async IAsyncEnumerable<T> ReadServerSentAsync<T>(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    var item = JsonSerializer.Deserialize<T>(data.ToString(), OrbitMeshJson.Options)!;
                    data.Clear();
                    yield return item;
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line.AsSpan(5).TrimStart(' '));
            }
        }
    }

    /// <summary>
    /// An event stream that resumes with <c>Last-Event-ID</c> when the connection drops (up to 10 times):
    /// each event once, in order, until <paramref name="isLast"/> says the stream's subject has ended.
    /// </summary>
    private static async IAsyncEnumerable<T> ResumableEventsAsync<T>(
        string path,
        long afterSequence,
        Func<T, long> sequenceOf,
        Func<T, bool> isLast,
        string subject,
        string noun,
        Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = afterSequence;
        for (var reconnects = 0; ; reconnects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (last > 0)
            {
                request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
            }

            using var response = await send(request, cancellationToken).ConfigureAwait(false);
            var events = ReadServerSentAsync<T>(response, cancellationToken).GetAsyncEnumerator(cancellationToken);
            await using var disposeEvents = events.ConfigureAwait(false);
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (IOException) when (reconnects < 10 && !cancellationToken.IsCancellationRequested)
                {
                    break; // The connection dropped: reconnect from the last event seen.
                }

                var item = events.Current;
                if (sequenceOf(item) <= last)
                {
                    continue;
                }

                last = sequenceOf(item);
                yield return item;
                if (isLast(item))
                {
                    yield break;
                }
            }

            if (reconnects >= 10)
            {
                throw new MeshConnectionException($"The event stream of {subject} ended {reconnects + 1} times before the {noun} did.");
            }
        }
    }
}

/// <summary>JSON content helpers with OrbitMesh's settings.</summary>
internal static class HttpContentJsonExtensions
{
    public static async Task<T?> ReadFromJsonAsync<T>(this HttpContent content, CancellationToken cancellationToken)
    {
        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync<T>(stream, OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
    }
}
