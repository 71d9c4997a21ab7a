using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using OrbitMesh.Protocol;
using OrbitMesh.Serialization;

namespace OrbitMesh.Core.Tests.Serialization;

/// <summary><see cref="OrbitMeshJson.Configure"/> on options OrbitMesh does not own, and <see cref="OrbitMeshJson.ToElement"/>.</summary>
public sealed class OrbitMeshJsonTests
{
    [Fact]
    public void Configure_ForeignOptions_PutsTheContractsFirstAndKeepsReflectionForUserTypes()
    {
        var options = new JsonSerializerOptions();

        OrbitMeshJson.Configure(options);

        Assert.Same(OrbitMeshContractResolver.Instance, options.TypeInfoResolverChain[0]);
        Assert.IsType<DefaultJsonTypeInfoResolver>(options.TypeInfoResolverChain[^1]);
        Assert.Equal("""{"Name":"widget","Size":3}""", JsonSerializer.Serialize(new Widget("widget", 3), options));
        Assert.Equal(new Widget("w", 1), JsonSerializer.Deserialize<Widget>("""{"Name":"w","Size":1}""", options));
    }

    [Fact]
    public void Configure_ForeignOptions_LeavesNamingAsItIsButKeepsEnumsAsStrings()
    {
        var options = new JsonSerializerOptions();
        OrbitMeshJson.Configure(options);

        var json = JsonSerializer.Serialize(new AgentInfo { Id = "a", Name = "A", Status = AgentStatus.Unreachable }, options);

        Assert.StartsWith("""{"Id":"a","Name":"A","Status":"Unreachable",""", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Configure_HubStyleOptions_SerializesContractsAndUserTypesInOneMessage()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

        OrbitMeshJson.Configure(options);

        Assert.Equal(2, options.TypeInfoResolverChain.Count);
        Assert.Same(OrbitMeshContractResolver.Instance, options.TypeInfoResolverChain[0]);
        var json = JsonSerializer.Serialize(new object[] { new HeartbeatAck { HeartbeatIntervalMs = 10 }, new Widget("w", 2) }, options);
        Assert.Equal("""[{"heartbeatIntervalMs":10,"serverTime":"0001-01-01T00:00:00+00:00"},{"name":"w","size":2}]""", json);
    }

    [Fact]
    public void Configure_Twice_DoesNotAddResolversAgain()
    {
        var options = new JsonSerializerOptions();

        OrbitMeshJson.Configure(options);
        OrbitMeshJson.Configure(options);

        Assert.Equal(2, options.TypeInfoResolverChain.Count);
    }

    [Fact]
    public void Configure_KeepsResolversThatWereThereBehindTheContracts()
    {
        var options = new JsonSerializerOptions();
        options.TypeInfoResolverChain.Add(UserContext.Default);

        OrbitMeshJson.Configure(options);

        Assert.Same(OrbitMeshContractResolver.Instance, options.TypeInfoResolverChain[0]);
        Assert.Same(UserContext.Default, options.TypeInfoResolverChain[1]);
        Assert.IsType<DefaultJsonTypeInfoResolver>(options.TypeInfoResolverChain[2]);
        Assert.Equal("""{"Name":"x","Size":1}""", JsonSerializer.Serialize(new Widget("x", 1), options));
    }

    [Fact]
    public void ContractResolver_ServesEveryContractAndLeavesUserTypesToTheNextResolver()
    {
        var options = new JsonSerializerOptions();
        Type[] contracts =
        [
            typeof(AgentInfo), typeof(IReadOnlyList<AgentInfo>), typeof(AgentLoad), typeof(JobRequest), typeof(JobResult), typeof(JobError),
            typeof(AgentRegistration), typeof(RegistrationResult), typeof(AgentHeartbeat), typeof(HeartbeatAck), typeof(InvokeRequest),
            typeof(InvokeResult), typeof(DisconnectNotice), typeof(JsonElement),
        ];

        Assert.All(contracts, type => Assert.NotNull(OrbitMeshContractResolver.Instance.GetTypeInfo(type, options)));
        Assert.Null(OrbitMeshContractResolver.Instance.GetTypeInfo(typeof(Widget), options));
    }

    [Fact]
    public void Configure_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => OrbitMeshJson.Configure(null!));
    }

    [Fact]
    public void ToElement_Null_ReturnsNull()
    {
        Assert.Null(OrbitMeshJson.ToElement(null));
    }

    [Fact]
    public void ToElement_JsonElement_IsReturnedAsItIs()
    {
        var element = JsonDocument.Parse("""{"Keep":"AsIs"}""").RootElement;

        var result = OrbitMeshJson.ToElement(element);

        Assert.Equal("""{"Keep":"AsIs"}""", result!.Value.GetRawText());
    }

    [Fact]
    public void ToElement_Object_UsesOrbitMeshOptions()
    {
        var result = OrbitMeshJson.ToElement(new { Greeting = "hi", Missing = (string?)null, Status = AgentStatus.Ready });

        Assert.Equal("""{"greeting":"hi","status":"Ready"}""", result!.Value.GetRawText());
    }

    [Fact]
    public void ToElement_UsesTheRuntimeTypeNotTheStaticOne()
    {
        Widget widget = new ColouredWidget("w", 1, "red");

        var result = OrbitMeshJson.ToElement(widget);

        Assert.Equal("red", result!.Value.GetProperty("colour").GetString());
    }

    [Fact]
    public void ToElement_Primitives_BecomeJsonValues()
    {
        Assert.Equal(JsonValueKind.Number, OrbitMeshJson.ToElement(42)!.Value.ValueKind);
        Assert.Equal("text", OrbitMeshJson.ToElement("text")!.Value.GetString());
        Assert.Equal(3, OrbitMeshJson.ToElement(new[] { 1, 2, 3 })!.Value.GetArrayLength());
    }

    [Fact]
    public void ToElement_WithOptions_UsesThem()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

        var result = OrbitMeshJson.ToElement(new { FirstName = "Ada" }, options);

        Assert.Equal("""{"first_name":"Ada"}""", result!.Value.GetRawText());
    }

    [Fact]
    public void ToElement_ProtocolType_HasTheWireShape()
    {
        var result = OrbitMeshJson.ToElement(new DisconnectNotice("revoked", "bye", false));

        Assert.Equal("""{"code":"revoked","reason":"bye","reconnect":false}""", result!.Value.GetRawText());
    }

    internal record Widget(string Name, int Size);

    internal sealed record ColouredWidget(string Name, int Size, string Colour) : Widget(Name, Size);
}

[JsonSerializable(typeof(OrbitMeshJsonTests.Widget))]
internal sealed partial class UserContext : JsonSerializerContext;
