using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;

namespace OrbitMesh.MicroBench;

/// <summary>The job messages on the wire: the assignment the server sends and the completion the agent returns.</summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private readonly JsonSerializerOptions _options = OrbitMeshJson.Options;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private JobAssignment _assignment = null!;
    private JobCompletion _completion = null!;
    private byte[] _assignmentJson = null!;
    private byte[] _completionJson = null!;
    private JsonHubProtocol _protocol = null!;
    private InvocationMessage _invocation = null!;

    [GlobalSetup]
    public void Setup()
    {
        _assignment = new JobAssignment
        {
            JobId = "job_sd91ffe7bjmwgfw2dzk0",
            Attempt = 1,
            FencingToken = 1_795_364_207_707_277,
            IdempotencyKey = "key-0669",
            Command = "image.resize",
            Parameters = JsonSerializer.SerializeToElement(new { width = 640, height = 480, source = "s3://bucket/photos/0669.jpg" }),
            Pattern = ExecutionPattern.LongRunning,
            TimeoutMs = 60_000,
            CorrelationId = "run-42",
            LeaseDurationMs = 30_000,
            TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        };
        _completion = new JobCompletion
        {
            JobId = _assignment.JobId,
            Attempt = 1,
            FencingToken = _assignment.FencingToken,
            Success = true,
            Result = JsonSerializer.SerializeToElement(new { width = 640, height = 480, bytes = 48_213 }),
        };
        _assignmentJson = JsonSerializer.SerializeToUtf8Bytes(_assignment, _options);
        _completionJson = JsonSerializer.SerializeToUtf8Bytes(_completion, _options);

        var protocolOptions = new JsonHubProtocolOptions();
        OrbitMeshJson.Configure(protocolOptions.PayloadSerializerOptions);
        _protocol = new JsonHubProtocol(Options.Create(protocolOptions));
        _invocation = new InvocationMessage(HubMethodNames.AssignJob, [_assignment]);
    }

    [Benchmark]
    public int SerializeAssignment() => JsonSerializer.SerializeToUtf8Bytes(_assignment, _options).Length;

    [Benchmark]
    public JobAssignment? DeserializeAssignment() => JsonSerializer.Deserialize<JobAssignment>(_assignmentJson, _options);

    [Benchmark]
    public int SerializeCompletion() => JsonSerializer.SerializeToUtf8Bytes(_completion, _options).Length;

    [Benchmark]
    public JobCompletion? DeserializeCompletion() => JsonSerializer.Deserialize<JobCompletion>(_completionJson, _options);

    /// <summary>The whole SignalR frame the server writes for an assignment (JSON hub protocol, record separator included).</summary>
    [Benchmark]
    public int WriteAssignmentFrame()
    {
        _buffer.ResetWrittenCount();
        _protocol.WriteMessage(_invocation, _buffer);
        return _buffer.WrittenCount;
    }
}
