using OrbitMesh.Protocol;

namespace OrbitMesh.Core.Tests.Protocol;

/// <summary>Every rule of <see cref="ProtocolLimits"/> at and just past its boundary.</summary>
public sealed class RegistrationValidatorTests
{
    private static AgentRegistration Valid() => new() { Id = "agent-1" };

    private static string[] Names(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();

    private static Dictionary<string, string> Metadata(int count) =>
        Enumerable.Range(0, count).ToDictionary(i => $"key-{i}", i => $"value-{i}");

    [Fact]
    public void Validate_MinimalRegistration_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid()));
    }

    [Fact]
    public void Validate_FullRegistrationAtEveryLimit_IsValid()
    {
        var registration = new AgentRegistration
        {
            Id = new string('a', ProtocolLimits.MaxIdentifierLength),
            Name = new string('n', ProtocolLimits.MaxNameLength),
            Capabilities = Names("cap", ProtocolLimits.MaxCapabilities),
            Groups = Names("group", ProtocolLimits.MaxGroups),
            Commands = Names("command", ProtocolLimits.MaxCommands),
            Metadata = Metadata(ProtocolLimits.MaxMetadataEntries),
            MaxConcurrentJobs = ProtocolLimits.MaxConcurrentJobsLimit,
            Version = "1.2.3",
            ProtocolVersion = ProtocolLimits.ProtocolVersion,
        };

        Assert.Empty(RegistrationValidator.Validate(registration));
    }

    [Fact]
    public void Validate_NullRegistration_ReportsItIsMissing()
    {
        var errors = RegistrationValidator.Validate(null);

        Assert.Equal(["The registration is missing."], errors);
    }

    [Fact]
    public void Validate_Id128Characters_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Id = new string('x', 128) }));
    }

    [Fact]
    public void Validate_Id129Characters_ReportsTheLength()
    {
        var errors = RegistrationValidator.Validate(Valid() with { Id = new string('x', 129) });

        var error = Assert.Single(errors);
        Assert.EndsWith("is not valid: " + RegistrationValidator.AgentIdRule, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("   \t  ")]
    [InlineData(null)]
    public void Validate_IdMissingOrWhitespaceOnly_ReportsItIsRequired(string? id)
    {
        var errors = RegistrationValidator.Validate(Valid() with { Id = id! });

        Assert.Equal(["id is required."], errors);
    }

    [Theory]
    [InlineData("agent\u0000")]
    [InlineData("agent\n1")]
    [InlineData("\u001bagent")]
    [InlineData("agent\u007f")]
    [InlineData("agent\u0085")]
    [InlineData("agent 1")]
    [InlineData("agent/eu-west.1")]
    [InlineData("àgent-ü-名前")]
    [InlineData("..")]
    [InlineData("*")]
    [InlineData("abc\u202Eexe")]
    public void Validate_IdOutsideTheAgentIdRule_ReportsIt(string id)
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Id = id }));

        Assert.EndsWith("is not valid: " + RegistrationValidator.AgentIdRule, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agent-1")]
    [InlineData("eu-west.1:gpu@rack_7")]
    [InlineData("a")]
    public void Validate_IdWithPrintableCharacters_IsValid(string id)
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Id = id }));
    }

    [Fact]
    public void Validate_Name256Characters_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Name = new string('n', 256) }));
    }

    [Fact]
    public void Validate_Name257Characters_IsReported()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Name = new string('n', 257) }));
        Assert.StartsWith("name must be at most 256 characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NameWithControlCharacter_IsReported()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Name = "node\ta" }));
        Assert.Contains("without control characters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullName_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Name = null }));
    }

    [Fact]
    public void Validate_256Capabilities_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Capabilities = Names("cap", 256) }));
    }

    [Fact]
    public void Validate_257Capabilities_ReportsTheCount()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Capabilities = Names("cap", 257) }));
        Assert.Equal("capabilities has 257 entries; at most 256 are allowed.", error);
    }

    [Fact]
    public void Validate_256Groups_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Groups = Names("group", 256) }));
    }

    [Fact]
    public void Validate_257Groups_ReportsTheCount()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Groups = Names("group", 257) }));
        Assert.Equal("groups has 257 entries; at most 256 are allowed.", error);
    }

    [Fact]
    public void Validate_1024Commands_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Commands = Names("command", 1024) }));
    }

    [Fact]
    public void Validate_1025Commands_ReportsTheCount()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Commands = Names("command", 1025) }));
        Assert.Equal("commands has 1025 entries; at most 1024 are allowed.", error);
    }

    [Theory]
    [InlineData("capabilities")]
    [InlineData("groups")]
    [InlineData("commands")]
    public void Validate_ListEntryOf129Characters_IsReported(string field)
    {
        var entry = new string('e', 129);
        var errors = RegistrationValidator.Validate(WithList(field, ["ok", entry]));

        var error = Assert.Single(errors);
        Assert.StartsWith($"{field} entry '{new string('e', 40)}…' must be 1 to 128 characters", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("capabilities")]
    [InlineData("groups")]
    [InlineData("commands")]
    public void Validate_ListEntryOf128Characters_IsValid(string field)
    {
        Assert.Empty(RegistrationValidator.Validate(WithList(field, [new string('e', 128)])));
    }

    [Theory]
    [InlineData("capabilities", "")]
    [InlineData("groups", "  ")]
    [InlineData("commands", "run\u0007")]
    [InlineData("commands", null)]
    public void Validate_InvalidListEntry_IsReportedPrintably(string field, string? entry)
    {
        var error = Assert.Single(RegistrationValidator.Validate(WithList(field, [entry!])));

        Assert.StartsWith($"{field} entry '", error, StringComparison.Ordinal);
        Assert.DoesNotContain(error, char.IsControl);
        if (entry is null)
        {
            Assert.Contains("'(null)'", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_NullLists_AreTreatedAsEmpty()
    {
        var registration = Valid() with { Capabilities = null!, Groups = null!, Commands = null! };

        Assert.Empty(RegistrationValidator.Validate(registration));
    }

    [Fact]
    public void Validate_64MetadataEntries_IsValid()
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { Metadata = Metadata(64) }));
    }

    [Fact]
    public void Validate_65MetadataEntries_ReportsTheCount()
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Metadata = Metadata(65) }));
        Assert.Equal("metadata has 65 entries; at most 64 are allowed.", error);
    }

    [Fact]
    public void Validate_MetadataValueOf1024Characters_IsValid()
    {
        var metadata = new Dictionary<string, string> { ["region"] = new string('v', 1024) };

        Assert.Empty(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
    }

    [Fact]
    public void Validate_MetadataValueOf1025Characters_IsReported()
    {
        var metadata = new Dictionary<string, string> { ["region"] = new string('v', 1025) };

        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
        Assert.Equal("metadata value for 'region' must be present and at most 1024 characters.", error);
    }

    [Fact]
    public void Validate_NullMetadataValue_IsReported()
    {
        var metadata = new Dictionary<string, string> { ["region"] = null! };

        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
        Assert.Contains("'region' must be present", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyMetadataValue_IsValid()
    {
        var metadata = new Dictionary<string, string> { ["region"] = "" };

        Assert.Empty(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("key\r\n")]
    public void Validate_InvalidMetadataKey_IsReported(string key)
    {
        var metadata = new Dictionary<string, string> { [key] = "value" };

        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
        Assert.StartsWith("metadata key '", error, StringComparison.Ordinal);
        Assert.DoesNotContain(error, char.IsControl);
    }

    [Fact]
    public void Validate_MetadataKeyOf129Characters_IsReported()
    {
        var metadata = new Dictionary<string, string> { [new string('k', 129)] = "value" };

        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { Metadata = metadata }));
        Assert.StartsWith("metadata key '", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10_000)]
    public void Validate_MaxConcurrentJobsInRange_IsValid(int maxConcurrentJobs)
    {
        Assert.Empty(RegistrationValidator.Validate(Valid() with { MaxConcurrentJobs = maxConcurrentJobs }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    [InlineData(int.MaxValue)]
    public void Validate_MaxConcurrentJobsOutOfRange_IsReported(int maxConcurrentJobs)
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { MaxConcurrentJobs = maxConcurrentJobs }));
        Assert.Equal($"maxConcurrentJobs must be between 1 and 10000; it was {maxConcurrentJobs}.", error);
    }

    [Fact]
    public void Validate_DefaultProtocolVersion_IsTheSupportedOne()
    {
        Assert.Equal(1, ProtocolLimits.ProtocolVersion);
        Assert.Equal(ProtocolLimits.ProtocolVersion, Valid().ProtocolVersion);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Validate_OtherProtocolVersion_IsReported(int version)
    {
        var error = Assert.Single(RegistrationValidator.Validate(Valid() with { ProtocolVersion = version }));
        Assert.Equal($"protocolVersion {version} is not supported; this server speaks 1.", error);
    }

    [Fact]
    public void Validate_ManyProblems_ReportsEveryOneTogether()
    {
        var registration = new AgentRegistration
        {
            Id = "bad\u0000id",
            Name = new string('n', 257),
            Capabilities = Names("cap", 257),
            Groups = ["ok", ""],
            Commands = Names("command", 1025),
            Metadata = new Dictionary<string, string>(Metadata(64)) { ["big"] = new string('v', 1025) },
            MaxConcurrentJobs = 0,
            ProtocolVersion = 7,
        };

        var errors = RegistrationValidator.Validate(registration);

        Assert.Collection(
            errors,
            e => Assert.EndsWith("is not valid: " + RegistrationValidator.AgentIdRule, e, StringComparison.Ordinal),
            e => Assert.StartsWith("name must be at most 256", e, StringComparison.Ordinal),
            e => Assert.StartsWith("capabilities has 257 entries", e, StringComparison.Ordinal),
            e => Assert.StartsWith("groups entry ''", e, StringComparison.Ordinal),
            e => Assert.StartsWith("commands has 1025 entries", e, StringComparison.Ordinal),
            e => Assert.StartsWith("metadata has 65 entries", e, StringComparison.Ordinal),
            e => Assert.StartsWith("metadata value for 'big'", e, StringComparison.Ordinal),
            e => Assert.StartsWith("maxConcurrentJobs must be between 1 and 10000", e, StringComparison.Ordinal),
            e => Assert.StartsWith("protocolVersion 7 is not supported", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SeveralInvalidEntriesInOneList_ReportsEach()
    {
        var errors = RegistrationValidator.Validate(Valid() with { Capabilities = ["", "ok", "x\u0001", " "] });

        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.StartsWith("capabilities entry", e, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("run", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData(null, false)]
    [InlineData("tab\there", false)]
    public void IsValidIdentifier_ChecksPresenceAndControlCharacters(string? value, bool expected)
    {
        Assert.Equal(expected, RegistrationValidator.IsValidIdentifier(value));
    }

    [Fact]
    public void IsValidIdentifier_ChecksTheLengthBoundary()
    {
        Assert.True(RegistrationValidator.IsValidIdentifier(new string('i', ProtocolLimits.MaxIdentifierLength)));
        Assert.False(RegistrationValidator.IsValidIdentifier(new string('i', ProtocolLimits.MaxIdentifierLength + 1)));
    }

    private static AgentRegistration WithList(string field, string[] values) => field switch
    {
        "capabilities" => Valid() with { Capabilities = values },
        "groups" => Valid() with { Groups = values },
        "commands" => Valid() with { Commands = values },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
