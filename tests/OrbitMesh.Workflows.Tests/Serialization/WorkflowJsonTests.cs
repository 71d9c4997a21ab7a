using System.Text;
using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Serialization;

public sealed class WorkflowJsonTests
{
    private static string Sample() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serialization", "deploy-app.json"));

    [Fact]
    public void Deserialize_TheDocumentedSample_IsValidAndComplete()
    {
        var definition = WorkflowJson.Deserialize(Sample());

        Assert.Empty(WorkflowValidator.Validate(definition));
        Assert.Equal("deploy-app", definition.Name);
        Assert.Equal(2, definition.Version);
        Assert.Equal(TimeSpan.FromHours(1), definition.Timeout);
        Assert.Equal(4, definition.MaxParallelism);
        Assert.Equal(["validate", "install", "migrate", "health"], definition.Steps.Select(step => step.Id));

        var validate = definition.Steps[0];
        Assert.Equal(WorkflowStepKind.Class, validate.Kind);
        Assert.Equal("MyCompany.Deploy.ValidateStep", validate.StepType);
        Assert.Empty(validate.DependsOn);
        Assert.True(validate.Parameters!.Value.GetProperty("strict").GetBoolean());

        var install = definition.Steps[1];
        Assert.Equal(WorkflowStepKind.Command, install.Kind);
        Assert.Equal("app.install", install.Command);
        Assert.Equal(AgentTarget.WithCapability("web"), install.Target);
        Assert.Equal(new WorkflowRetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromMinutes(2), Jitter = true }, install.Retry);
        Assert.Equal(TimeSpan.FromMinutes(5), install.Timeout);
        Assert.Equal("app.uninstall", install.Compensation!.Command);
        Assert.Equal(TimeSpan.FromMinutes(2), install.Compensation.Timeout);

        Assert.Equal("db-1", definition.Steps[2].Target!.AgentId);

        var health = definition.Steps[3];
        Assert.Equal(WorkflowStepKind.FanOut, health.Kind);
        Assert.Equal(FanOutFailurePolicy.AllowPartial, health.FanOutPolicy);
        Assert.Equal(["install", "migrate"], health.DependsOn);

        Assert.Equal("MyCompany.Deploy.NotifyOps", definition.OnFailure!.StepType);
    }

    [Fact]
    public void RoundTrip_TheSample_IsStable()
    {
        var first = WorkflowJson.Serialize(WorkflowJson.Deserialize(Sample()), indented: true);
        var second = WorkflowJson.Serialize(WorkflowJson.Deserialize(first), indented: true);

        Assert.Equal(first, second);
        using var original = JsonDocument.Parse(Sample());
        using var written = JsonDocument.Parse(first);
        Assert.True(JsonElement.DeepEquals(original.RootElement, written.RootElement), first);
    }

    [Fact]
    public void Serialize_UsesCamelCaseAndEnumNames_AndOmitsNulls()
    {
        var definition = new WorkflowDefinition
        {
            Name = "fmt",
            Steps =
            [
                new WorkflowStepDefinition { Id = "a", Kind = WorkflowStepKind.FanOut, Command = "c", FanOutPolicy = FanOutFailurePolicy.IgnoreFailures, Timeout = TimeSpan.FromSeconds(90) },
            ],
        };

        var json = WorkflowJson.Serialize(definition);

        Assert.Equal(
            """{"name":"fmt","version":1,"steps":[{"id":"a","kind":"fanOut","command":"c","timeout":"00:01:30","fanOutPolicy":"ignoreFailures"}]}""",
            json);
    }

    [Fact]
    public void Serialize_LeavesOutCodeOnlyMembers()
    {
        var definition = new WorkflowBuilder("code")
            .AddStep<DownloadPackage>(cfg => cfg.Version = "1")
            .When(_ => true)
            .Build();

        var json = WorkflowJson.Serialize(definition);
        var back = WorkflowJson.Deserialize(json);

        Assert.DoesNotContain("condition", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("configure", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("clrType", json, StringComparison.OrdinalIgnoreCase);
        Assert.Null(back.Steps[0].Condition);
        Assert.Null(back.Steps[0].Configure);
        Assert.Null(back.Steps[0].StepClrType);
        Assert.Equal(typeof(DownloadPackage).FullName, back.Steps[0].StepType);
        Assert.False(back.HasCodeOnlyMembers);
    }

    [Fact]
    public void Deserialize_MissingOptionalMembers_TakeTheirDefaults()
    {
        var definition = WorkflowJson.Deserialize("""{"name":"min","steps":[{"id":"a","command":"noop","retry":{"maxAttempts":4}}]}""");

        Assert.Equal(1, definition.Version);
        var step = Assert.Single(definition.Steps);
        Assert.Equal(WorkflowStepKind.Command, step.Kind);
        Assert.Empty(step.DependsOn);
        Assert.Equal(4, step.Retry!.MaxAttempts);
        Assert.Equal(WorkflowRetryPolicy.DefaultInitialBackoff, step.Retry.InitialBackoff);
        Assert.Equal(WorkflowRetryPolicy.DefaultMaxBackoff, step.Retry.MaxBackoff);
        Assert.True(step.Retry.Jitter);
        Assert.Empty(WorkflowValidator.Validate(definition));
    }

    [Fact]
    public void Deserialize_AllowsCommentsAndTrailingCommas()
    {
        var definition = WorkflowJson.Deserialize("""
            {
              // the smallest workflow
              "name": "c",
              "steps": [ { "id": "a", "command": "noop", }, ],
            }
            """);

        Assert.Equal("a", Assert.Single(definition.Steps).Id);
    }

    [Fact]
    public void Deserialize_UnknownProperty_IsRefusedWithItsPath()
    {
        var error = Assert.Throws<WorkflowValidationException>(() =>
            WorkflowJson.Deserialize("""{"name":"typo","steps":[{"id":"a","command":"noop","dependOn":["x"]}]}"""));

        var only = Assert.Single(error.Errors);
        Assert.Equal(WorkflowErrorCodes.InvalidJson, only.Code);
        Assert.Contains("dependOn", only.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Theory]
    [InlineData("""{"name":"k","steps":[{"id":"a","kind":"script"}]}""", "$.steps[0].kind")]
    [InlineData("""{"name":"k","steps":[{"id":"a","command":"c","timeout":"soon"}]}""", "$.steps[0].timeout")]
    [InlineData("{\"name\":\"k\",\"steps\":[{\"id\":\"a\"", "")]
    [InlineData("""[1,2]""", "")]
    public void Deserialize_MalformedInput_IsAValidationError(string json, string mentioned)
    {
        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowJson.Deserialize(json));

        var only = Assert.Single(error.Errors);
        Assert.Equal(WorkflowErrorCodes.InvalidJson, only.Code);
        Assert.StartsWith("The definition is not valid JSON: ", only.Message, StringComparison.Ordinal);
        Assert.Contains(mentioned, only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_NullLiteral_IsAValidationError()
    {
        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowJson.Deserialize("null"));

        Assert.Equal("The definition is empty: the JSON is null.", Assert.Single(error.Errors).Message);
    }

    [Fact]
    public void Deserialize_OverOneMebibyte_IsRefusedBeforeParsing()
    {
        var json = "{\"name\":\"big\",\"description\":\"" + new string('x', WorkflowLimits.MaxDefinitionBytes) + "\"}";

        var fromText = Assert.Throws<WorkflowValidationException>(() => WorkflowJson.Deserialize(json));
        var fromBytes = Assert.Throws<WorkflowValidationException>(() => WorkflowJson.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(WorkflowErrorCodes.OverLimit, Assert.Single(fromText.Errors).Code);
        Assert.Equal(WorkflowErrorCodes.OverLimit, Assert.Single(fromBytes.Errors).Code);
        Assert.Contains($"is {Encoding.UTF8.GetByteCount(json):N0} bytes", fromText.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_MultiByteCharacters_CountAsBytes()
    {
        // 'é' is two bytes in UTF-8: half a mebibyte of them is over the limit although the string is not.
        var json = "{\"name\":\"wide\",\"description\":\"" + new string('é', (WorkflowLimits.MaxDefinitionBytes / 2) + 1) + "\"}";

        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowJson.Deserialize(json));

        Assert.Equal(WorkflowErrorCodes.OverLimit, Assert.Single(error.Errors).Code);
    }

    [Fact]
    public async Task DeserializeAsync_ReadsAStream_AndStopsPastTheLimit()
    {
        using var small = new MemoryStream(Encoding.UTF8.GetBytes(Sample()));
        var definition = await WorkflowJson.DeserializeAsync(small, CancellationToken.None);
        Assert.Equal("deploy-app", definition.Name);

        using var endless = new EndlessStream();
        var error = await Assert.ThrowsAsync<WorkflowValidationException>(() => WorkflowJson.DeserializeAsync(endless, CancellationToken.None));
        Assert.Equal(WorkflowErrorCodes.OverLimit, Assert.Single(error.Errors).Code);
        Assert.Equal(WorkflowLimits.MaxDefinitionBytes + 1, endless.Position);
    }

    [Fact]
    public void ValidationErrors_SerializeForAnApiAnswer()
    {
        var errors = WorkflowValidator.Validate(new WorkflowDefinition { Name = "x", Steps = [new() { Id = "a", Command = "c", DependsOn = ["b"] }] });

        var json = JsonSerializer.Serialize(errors, WorkflowJson.Options);

        Assert.Equal("""[{"code":"unknown_dependency","message":"Step 'a' depends on 'b', which is not a step of the workflow.","stepId":"a"}]""", json);
    }

    /// <summary>A stream of spaces that never ends, counting what was read.</summary>
    private sealed class EndlessStream : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            _read += count;
            return count;
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
