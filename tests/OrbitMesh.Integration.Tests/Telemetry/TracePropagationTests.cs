using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Diagnostics;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Telemetry;

/// <summary>
/// One trace across processes: a server and an agent process both export over OTLP to a collector in
/// the test, and the job's submit, dispatch and execution spans form one trace, the execution (in the
/// agent process) a child of the dispatch (in the server process) through the assignment's traceparent.
/// </summary>
public sealed class TracePropagationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task JobSpans_FormOneTraceAcrossServerAndAgentProcesses_AndTheServerExportsItsMetrics()
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var mesh = new MeshProcesses(output);
        var otlp = collector.Url.ToString().TrimEnd('/');
        var server = await mesh.StartServerAsync(extraArguments: ["--heartbeat-interval", "0.5", "--otlp-endpoint", otlp]);
        var agent = mesh.Start("agent-traced", "agent", "--server", server.UrlText, "--token", mesh.Token, "--id", "traced", "--otlp-endpoint", otlp);
        await MeshProcesses.WaitUntilConnectedAsync(agent, "traced");
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);

        using var submitted = await http.PostAsync("/api/jobs", new StringContent(
            """{"command":"echo","parameters":{"hello":"trace"},"target":{"agentId":"traced"}}""", Encoding.UTF8, "application/json"));
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        var jobId = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await Wait.UntilAsync(async () =>
        {
            var job = await http.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
            return job.GetProperty("status").GetString() == "Completed";
        }, $"job {jobId} completes", ExportTimeout);

        // Spans are exported in batches (every second); wait for the three of this job.
        ReceivedSpan? submit = null, dispatch = null, execute = null;
        await Wait.UntilAsync(() =>
        {
            var spans = collector.Spans;
            submit = spans.FirstOrDefault(s => s.Name == OrbitMeshDiagnostics.SubmitActivity);
            dispatch = spans.FirstOrDefault(s => s.Name == OrbitMeshDiagnostics.DispatchActivity);
            execute = spans.FirstOrDefault(s => s.Name == OrbitMeshDiagnostics.ExecuteActivity);
            return submit is not null && dispatch is not null && execute is not null;
        }, "the submit, dispatch and execute spans reach the collector", ExportTimeout);

        output.WriteLine(string.Join('\n', collector.Spans));
        Assert.Equal("orbitmesh-server", submit!.Service);
        Assert.Equal("orbitmesh-server", dispatch!.Service);
        Assert.Equal("orbitmesh-agent", execute!.Service);
        Assert.Matches("^[0-9a-f]{32}$", submit.TraceId);
        Assert.Equal(submit.TraceId, dispatch.TraceId);
        Assert.Equal(submit.TraceId, execute.TraceId);
        Assert.Equal(submit.SpanId, dispatch.ParentSpanId);
        Assert.Equal(dispatch.SpanId, execute.ParentSpanId);
        Assert.Equal(4, dispatch.Kind); // SPAN_KIND_PRODUCER
        Assert.Equal(5, execute.Kind); // SPAN_KIND_CONSUMER

        // Metrics are exported every 15 s and when the server stops: stop it and look for the job counter.
        await agent.SignalAsync("TERM");
        await agent.WaitForExitAsync("the agent stops", ExportTimeout);
        await server.Process.SignalAsync("TERM");
        Assert.Equal(0, await server.Process.WaitForExitAsync("the server stops", ExportTimeout));
        Assert.Contains(collector.MetricExports, export => Encoding.UTF8.GetString(export).Contains("orbitmesh.jobs.finished", StringComparison.Ordinal));
    }
}
