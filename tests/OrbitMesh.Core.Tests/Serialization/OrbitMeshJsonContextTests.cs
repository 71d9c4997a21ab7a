using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OrbitMesh.Protocol;
using OrbitMesh.Serialization;

namespace OrbitMesh.Core.Tests.Serialization;

/// <summary>
/// The wire contracts: every protocol type and model round-trips through <see cref="OrbitMeshJson.Options"/>
/// and through the source-generated <see cref="OrbitMeshJsonContext"/>, and has the documented shape.
/// </summary>
public sealed class OrbitMeshJsonContextTests
{
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Serializes, checks the literal JSON, deserializes, and checks that nothing was lost.</summary>
    private static T AssertWire<T>(T value, JsonTypeInfo<T> typeInfo, string expectedJson)
    {
        var viaOptions = JsonSerializer.Serialize(value, OrbitMeshJson.Options);
        var viaContext = JsonSerializer.Serialize(value, typeInfo);
        Assert.Equal(expectedJson, viaOptions);
        Assert.Equal(expectedJson, viaContext);

        var back = JsonSerializer.Deserialize<T>(viaOptions, OrbitMeshJson.Options)!;
        var backViaContext = JsonSerializer.Deserialize(viaContext, typeInfo)!;
        Assert.Equal(expectedJson, JsonSerializer.Serialize(back, OrbitMeshJson.Options));
        Assert.Equal(expectedJson, JsonSerializer.Serialize(backViaContext, typeInfo));
        return back;
    }

    [Fact]
    public void AgentInfo_RoundTripsWithCamelCaseNamesAndStatusAsString()
    {
        var info = new AgentInfo
        {
            Id = "agent-1",
            Name = "Agent One",
            Status = AgentStatus.Ready,
            Capabilities = ["gpu", "linux"],
            Groups = ["blue"],
            Commands = ["echo"],
            Metadata = new Dictionary<string, string> { ["region"] = "eu" },
            Version = "0.1.0",
            ConnectedAt = Time,
            LastHeartbeatAt = Time.AddSeconds(5),
            DisconnectedAt = null,
            Load = new AgentLoad(1, 4, 12.5, 2048),
        };

        var back = AssertWire(info, OrbitMeshJsonContext.Default.AgentInfo,
            """{"id":"agent-1","name":"Agent One","status":"Ready","capabilities":["gpu","linux"],"groups":["blue"],"commands":["echo"],"metadata":{"region":"eu"},"version":"0.1.0","connectedAt":"2026-01-02T03:04:05+00:00","lastHeartbeatAt":"2026-01-02T03:04:10+00:00","load":{"activeJobs":1,"maxConcurrentJobs":4,"cpuPercent":12.5,"workingSetBytes":2048,"utilization":0.25},"jobsInFlight":0,"circuit":"Closed"}""");

        Assert.Equal(AgentStatus.Ready, back.Status);
        Assert.Equal(["gpu", "linux"], back.Capabilities);
        Assert.Equal("eu", back.Metadata["region"]);
        Assert.Equal(new AgentLoad(1, 4, 12.5, 2048), back.Load);
        Assert.Null(back.DisconnectedAt);
    }

    [Fact]
    public void AgentInfo_NullsAreOmitted()
    {
        var json = JsonSerializer.Serialize(new AgentInfo { Id = "a", Name = "a" }, OrbitMeshJson.Options);

        Assert.Equal("""{"id":"a","name":"a","status":"Created","capabilities":[],"groups":[],"commands":[],"metadata":{},"connectedAt":"0001-01-01T00:00:00+00:00","jobsInFlight":0,"circuit":"Closed"}""", json);
    }

    [Fact]
    public void AgentInfoList_RoundTripsThroughTheContext()
    {
        IReadOnlyList<AgentInfo> agents = [new AgentInfo { Id = "a", Name = "A", Status = AgentStatus.Disconnected }, new AgentInfo { Id = "b", Name = "B" }];

        var json = JsonSerializer.Serialize(agents, OrbitMeshJsonContext.Default.IReadOnlyListAgentInfo);
        var back = JsonSerializer.Deserialize<List<AgentInfo>>(json, OrbitMeshJson.Options)!;

        Assert.StartsWith("""[{"id":"a","name":"A","status":"Disconnected",""", json, StringComparison.Ordinal);
        Assert.Equal(["a", "b"], back.Select(a => a.Id));
        Assert.Equal(AgentStatus.Disconnected, back[0].Status);
    }

    [Theory]
    [InlineData(AgentStatus.Created, "Created")]
    [InlineData(AgentStatus.Initializing, "Initializing")]
    [InlineData(AgentStatus.Ready, "Ready")]
    [InlineData(AgentStatus.Running, "Running")]
    [InlineData(AgentStatus.Paused, "Paused")]
    [InlineData(AgentStatus.Stopping, "Stopping")]
    [InlineData(AgentStatus.Stopped, "Stopped")]
    [InlineData(AgentStatus.Faulted, "Faulted")]
    [InlineData(AgentStatus.Unreachable, "Unreachable")]
    [InlineData(AgentStatus.Disconnected, "Disconnected")]
    public void AgentStatus_IsWrittenAndReadAsItsName(AgentStatus status, string name)
    {
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(status, OrbitMeshJson.Options));
        Assert.Equal(status, JsonSerializer.Deserialize<AgentStatus>($"\"{name}\"", OrbitMeshJson.Options));
    }

    [Fact]
    public void AgentLoad_RoundTrips()
    {
        var back = AssertWire(new AgentLoad(3, 8, 99.5, 1_234_567_890_123), OrbitMeshJsonContext.Default.AgentLoad,
            """{"activeJobs":3,"maxConcurrentJobs":8,"cpuPercent":99.5,"workingSetBytes":1234567890123,"utilization":0.375}""");

        Assert.Equal(new AgentLoad(3, 8, 99.5, 1_234_567_890_123), back);
    }

    [Fact]
    public void JobRequest_RoundTripsWithEnumsAsStrings()
    {
        var request = new JobRequest
        {
            Id = "job_1",
            Command = "resize",
            Parameters = Json("""{"width":640,"tags":["a"]}"""),
            Target = AgentTarget.WithCapability("gpu"),
            Pattern = ExecutionPattern.LongRunning,
            IdempotencyKey = "key-1",
            Timeout = TimeSpan.FromSeconds(90),
            Priority = JobPriority.High,
            MaxAttempts = 3,
            CorrelationId = "run-7",
        };

        var back = AssertWire(request, OrbitMeshJsonContext.Default.JobRequest,
            """{"id":"job_1","command":"resize","parameters":{"width":640,"tags":["a"]},"target":{"capability":"gpu"},"pattern":"LongRunning","idempotencyKey":"key-1","timeout":"00:01:30","priority":"High","maxAttempts":3,"correlationId":"run-7"}""");

        Assert.Equal(640, back.Parameters!.Value.GetProperty("width").GetInt32());
        Assert.Equal(AgentTarget.WithCapability("gpu"), back.Target);
        Assert.Equal(TimeSpan.FromSeconds(90), back.Timeout);
        Assert.Equal(JobPriority.High, back.Priority);
        Assert.Equal(ExecutionPattern.LongRunning, back.Pattern);
    }

    [Fact]
    public void JobRequest_Minimal_OmitsNullsAndKeepsDefaults()
    {
        var back = AssertWire(new JobRequest { Id = "job_2", Command = "echo" }, OrbitMeshJsonContext.Default.JobRequest,
            """{"id":"job_2","command":"echo","pattern":"RequestResponse","priority":"Normal","maxAttempts":1}""");

        Assert.Null(back.Parameters);
        Assert.Null(back.Target);
    }

    [Fact]
    public void JobRequest_WithoutId_GetsANewJobIdWhenRead()
    {
        var request = JsonSerializer.Deserialize<JobRequest>("""{"command":"echo"}""", OrbitMeshJson.Options)!;

        Assert.StartsWith("job_", request.Id, StringComparison.Ordinal);
        Assert.Equal(ExecutionPattern.RequestResponse, request.Pattern);
        Assert.Equal(JobPriority.Normal, request.Priority);
        Assert.Equal(1, request.MaxAttempts);
    }

    [Fact]
    public void JobResult_RoundTrips()
    {
        var result = new JobResult
        {
            JobId = "job_1",
            Status = JobStatus.Failed,
            Error = new JobError(MeshErrorCodes.HandlerFailed, "boom", "System.InvalidOperationException"),
            AgentId = "agent-1",
            Attempts = 2,
            CompletedAt = Time,
        };

        var back = AssertWire(result, OrbitMeshJsonContext.Default.JobResult,
            """{"jobId":"job_1","status":"Failed","error":{"code":"handler_failed","message":"boom","type":"System.InvalidOperationException"},"agentId":"agent-1","attempts":2,"completedAt":"2026-01-02T03:04:05+00:00","isSuccess":false}""");

        Assert.Equal(result.Error, back.Error);
        Assert.False(back.IsSuccess);
    }

    [Fact]
    public void JobResult_Completed_CarriesItsResult()
    {
        var result = new JobResult { JobId = "job_1", Status = JobStatus.Completed, Result = Json("""{"n":5}"""), Attempts = 1 };

        var back = AssertWire(result, OrbitMeshJsonContext.Default.JobResult,
            """{"jobId":"job_1","status":"Completed","result":{"n":5},"attempts":1,"isSuccess":true}""");

        Assert.True(back.IsSuccess);
        Assert.Equal(5, back.GetResult<Dictionary<string, int>>()!["n"]);
    }

    [Fact]
    public void JobResult_GetResult_NoResult_ReturnsDefault()
    {
        Assert.Null(new JobResult { JobId = "j" }.GetResult<string>());
        Assert.Equal(0, new JobResult { JobId = "j" }.GetResult<int>());
    }

    [Theory]
    [InlineData(JobStatus.Pending, "Pending")]
    [InlineData(JobStatus.Assigned, "Assigned")]
    [InlineData(JobStatus.Running, "Running")]
    [InlineData(JobStatus.Completed, "Completed")]
    [InlineData(JobStatus.Failed, "Failed")]
    [InlineData(JobStatus.Cancelled, "Cancelled")]
    [InlineData(JobStatus.TimedOut, "TimedOut")]
    [InlineData(JobStatus.DeadLettered, "DeadLettered")]
    public void JobStatus_IsWrittenAsItsName(JobStatus status, string name)
    {
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(status, OrbitMeshJson.Options));
        Assert.Equal(status, JsonSerializer.Deserialize<JobStatus>($"\"{name}\"", OrbitMeshJson.Options));
    }

    [Fact]
    public void JobError_RoundTripsAndOmitsMissingTypeAndDetails()
    {
        AssertWire(new JobError("timeout", "too slow"), OrbitMeshJsonContext.Default.JobError, """{"code":"timeout","message":"too slow"}""");
        var back = AssertWire(new JobError("handler_failed", "x", "T", "stack"), OrbitMeshJsonContext.Default.JobError,
            """{"code":"handler_failed","message":"x","type":"T","details":"stack"}""");
        Assert.Equal(new JobError("handler_failed", "x", "T", "stack"), back);
    }

    [Fact]
    public void AgentRegistration_RoundTrips()
    {
        var registration = new AgentRegistration
        {
            Id = "agent-1",
            Name = "One",
            Capabilities = ["gpu"],
            Groups = ["blue", "green"],
            Commands = ["echo", "sleep"],
            Metadata = new Dictionary<string, string> { ["zone"] = "a" },
            MaxConcurrentJobs = 8,
            Version = "0.1.0",
        };

        var back = AssertWire(registration, OrbitMeshJsonContext.Default.AgentRegistration,
            """{"id":"agent-1","name":"One","capabilities":["gpu"],"groups":["blue","green"],"commands":["echo","sleep"],"metadata":{"zone":"a"},"maxConcurrentJobs":8,"version":"0.1.0","desiredVersion":0,"protocolVersion":1}""");

        Assert.Equal(["echo", "sleep"], back.Commands);
        Assert.Equal("a", back.Metadata!["zone"]);
        Assert.Empty(RegistrationValidator.Validate(back));
    }

    [Fact]
    public void AgentRegistration_Minimal_ReadsDefaults()
    {
        var back = JsonSerializer.Deserialize<AgentRegistration>("""{"id":"x"}""", OrbitMeshJson.Options)!;

        Assert.Equal("x", back.Id);
        Assert.Empty(back.Capabilities);
        Assert.Null(back.Metadata);
        Assert.Equal(1, back.MaxConcurrentJobs);
        Assert.Equal(ProtocolLimits.ProtocolVersion, back.ProtocolVersion);
        Assert.Empty(RegistrationValidator.Validate(back));
    }

    [Fact]
    public void AgentRegistration_Minimal_ReadsDefaultsThroughHubStyleOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        OrbitMeshJson.Configure(options);

        var back = JsonSerializer.Deserialize<AgentRegistration>("""{"id":"x","name":"n"}""", options)!;

        Assert.Empty(back.Groups);
        Assert.Empty(back.Commands);
        Assert.Equal(1, back.MaxConcurrentJobs);
        Assert.Empty(RegistrationValidator.Validate(back));
    }

    [Fact]
    public void AgentInfo_Minimal_ReadsEmptyListsAndMetadata()
    {
        var back = JsonSerializer.Deserialize<AgentInfo>("""{"id":"a","name":"A"}""", OrbitMeshJson.Options)!;

        Assert.Empty(back.Capabilities);
        Assert.Empty(back.Groups);
        Assert.Empty(back.Commands);
        Assert.Empty(back.Metadata);
        Assert.Equal(AgentStatus.Created, back.Status);
    }

    [Fact]
    public void AgentInfoList_MinimalEntries_ReadEmptyLists()
    {
        var back = JsonSerializer.Deserialize<IReadOnlyList<AgentInfo>>("""[{"id":"a","name":"A"}]""", OrbitMeshJson.Options)!;

        Assert.Empty(Assert.Single(back).Capabilities);
    }

    [Fact]
    public void AgentHeartbeat_Empty_ReadsOneSlot()
    {
        var back = JsonSerializer.Deserialize<AgentHeartbeat>("{}", OrbitMeshJson.Options)!;

        Assert.Equal(1, back.MaxConcurrentJobs);
    }

    [Fact]
    public void AgentRegistration_WithoutId_IsRefusedByTheSerializer()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<AgentRegistration>("""{"name":"x"}""", OrbitMeshJson.Options));
    }

    [Fact]
    public void RegistrationResult_RoundTrips()
    {
        var result = new RegistrationResult
        {
            AgentId = "agent-1",
            ConnectionId = "conn-1",
            HeartbeatIntervalMs = 5000,
            MissedHeartbeatsAllowed = 3,
            ReplacedExisting = true,
            ServerTime = Time,
            ServerVersion = "0.1.0",
        };

        var back = AssertWire(result, OrbitMeshJsonContext.Default.RegistrationResult,
            """{"agentId":"agent-1","connectionId":"conn-1","heartbeatIntervalMs":5000,"missedHeartbeatsAllowed":3,"replacedExisting":true,"serverTime":"2026-01-02T03:04:05+00:00","serverVersion":"0.1.0"}""");

        Assert.Equal(result, back);
    }

    [Fact]
    public void AgentHeartbeat_RoundTrips()
    {
        var heartbeat = new AgentHeartbeat { ActiveJobs = 2, MaxConcurrentJobs = 8, CpuPercent = 37.5, WorkingSetBytes = 1 << 30 };

        var back = AssertWire(heartbeat, OrbitMeshJsonContext.Default.AgentHeartbeat,
            """{"activeJobs":2,"maxConcurrentJobs":8,"cpuPercent":37.5,"workingSetBytes":1073741824}""");

        Assert.Equal(heartbeat, back);
    }

    [Fact]
    public void HeartbeatAck_RoundTrips()
    {
        var ack = new HeartbeatAck { HeartbeatIntervalMs = 250, ServerTime = Time };

        var back = AssertWire(ack, OrbitMeshJsonContext.Default.HeartbeatAck,
            """{"heartbeatIntervalMs":250,"serverTime":"2026-01-02T03:04:05+00:00"}""");

        Assert.Equal(ack, back);
    }

    [Fact]
    public void InvokeRequest_RoundTrips()
    {
        var request = new InvokeRequest { Command = "echo", Parameters = Json("""{"a":[1,2],"b":null}"""), TimeoutMs = 1500, CorrelationId = "c-1" };

        var back = AssertWire(request, OrbitMeshJsonContext.Default.InvokeRequest,
            """{"command":"echo","parameters":{"a":[1,2],"b":null},"timeoutMs":1500,"correlationId":"c-1"}""");

        Assert.Equal(2, back.Parameters!.Value.GetProperty("a")[1].GetInt32());
        Assert.Equal(JsonValueKind.Null, back.Parameters!.Value.GetProperty("b").ValueKind);
    }

    [Fact]
    public void InvokeRequest_WithoutParameters_OmitsThem()
    {
        var back = AssertWire(new InvokeRequest { Command = "ping" }, OrbitMeshJsonContext.Default.InvokeRequest, """{"command":"ping"}""");

        Assert.Null(back.Parameters);
        Assert.Null(back.TimeoutMs);
    }

    [Fact]
    public void InvokeResult_Ok_RoundTrips()
    {
        var back = AssertWire(InvokeResult.Ok(Json("""[1,2,3]""")), OrbitMeshJsonContext.Default.InvokeResult,
            """{"success":true,"result":[1,2,3]}""");

        Assert.True(back.Success);
        Assert.Equal(3, back.Result!.Value.GetArrayLength());
        Assert.Null(back.Error);
    }

    [Fact]
    public void InvokeResult_OkWithNoResult_OmitsIt()
    {
        var back = AssertWire(InvokeResult.Ok(null), OrbitMeshJsonContext.Default.InvokeResult, """{"success":true}""");

        Assert.True(back.Success);
        Assert.Null(back.Result);
    }

    [Fact]
    public void InvokeResult_Fail_RoundTrips()
    {
        var back = AssertWire(InvokeResult.Fail(new JobError(MeshErrorCodes.Busy, "full")), OrbitMeshJsonContext.Default.InvokeResult,
            """{"success":false,"error":{"code":"busy","message":"full"}}""");

        Assert.False(back.Success);
        Assert.Equal(new JobError("busy", "full"), back.Error);
    }

    [Fact]
    public void DisconnectNotice_RoundTrips()
    {
        var notice = new DisconnectNotice(DisconnectCodes.Replaced, "another connection registered", Reconnect: false);

        var back = AssertWire(notice, OrbitMeshJsonContext.Default.DisconnectNotice,
            """{"code":"replaced","reason":"another connection registered","reconnect":false}""");

        Assert.Equal(notice, back);
    }

    [Fact]
    public void Options_ReadPropertyNamesCaseInsensitively()
    {
        var heartbeat = JsonSerializer.Deserialize<AgentHeartbeat>("""{"ActiveJobs":4,"MAXCONCURRENTJOBS":9}""", OrbitMeshJson.Options)!;

        Assert.Equal(4, heartbeat.ActiveJobs);
        Assert.Equal(9, heartbeat.MaxConcurrentJobs);
    }

    [Fact]
    public void Options_AreReadOnlyAndUseTheContractsFirstWithReflectionAfter()
    {
        var options = OrbitMeshJson.Options;

        Assert.True(options.IsReadOnly);
        Assert.Same(OrbitMeshContractResolver.Instance, options.TypeInfoResolverChain[0]);
        Assert.Single(options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>());
        Assert.Throws<InvalidOperationException>(() => options.WriteIndented = true);
    }

    [Fact]
    public void CreateOptions_ReturnsNewOptionsConfiguredTheSameWay()
    {
        var first = OrbitMeshJson.CreateOptions();
        var second = OrbitMeshJson.CreateOptions();
        var info = new AgentInfo { Id = "a", Name = "b", Status = AgentStatus.Paused };

        Assert.NotSame(first, second);
        Assert.NotSame(OrbitMeshJson.Options, first);
        Assert.Equal(JsonSerializer.Serialize(info, OrbitMeshJson.Options), JsonSerializer.Serialize(info, first));
    }

    [Fact]
    public void Options_SerializeUserTypesByReflection()
    {
        var json = JsonSerializer.Serialize(new UserPayload("hello", null, [1, 2], AgentStatus.Running), OrbitMeshJson.Options);

        Assert.Equal("""{"text":"hello","items":[1,2],"status":"Running"}""", json);
        var back = JsonSerializer.Deserialize<UserPayload>(json, OrbitMeshJson.Options)!;
        Assert.Equal("hello", back.Text);
        Assert.Null(back.Missing);
        Assert.Equal([1, 2], back.Items!);
        Assert.Equal(AgentStatus.Running, back.Status);
    }

    private sealed record UserPayload(string Text, string? Missing, int[]? Items, AgentStatus Status);
}
