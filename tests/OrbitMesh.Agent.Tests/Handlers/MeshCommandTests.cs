using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Tests.Handlers;

public sealed class MeshCommandTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().BuildServiceProvider();

    private static MeshCommand Command(string? json) =>
        new("test", json is null ? null : JsonDocument.Parse(json).RootElement.Clone(), Services);

    [Fact]
    public void Constructor_KeepsNameServicesAndCorrelationId()
    {
        var command = new MeshCommand("resize", null, Services, "corr-1");

        Assert.Equal("resize", command.Command);
        Assert.Same(Services, command.Services);
        Assert.Equal("corr-1", command.CorrelationId);
        Assert.Null(command.Parameters);
    }

    [Fact]
    public void Constructor_UndefinedParameters_AreNone()
    {
        Assert.Null(new MeshCommand("x", default(JsonElement), Services).Parameters);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Constructor_NoCommandName_Throws(string? name)
    {
        Assert.ThrowsAny<ArgumentException>(() => new MeshCommand(name!, null, Services));
    }

    [Fact]
    public void Constructor_NoServices_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new MeshCommand("x", null, null!));
    }

    [Fact]
    public void GetParameter_Present_ReturnsIt()
    {
        var command = Command("""{"n":5,"name":"ada","ratio":0.5,"on":true,"tags":["a","b"],"when":"2026-01-02T03:04:05+00:00"}""");

        Assert.Equal(5, command.GetParameter<int>("n"));
        Assert.Equal("ada", command.GetParameter<string>("name"));
        Assert.Equal(0.5, command.GetParameter<double>("ratio"));
        Assert.True(command.GetParameter<bool>("on"));
        Assert.Equal(["a", "b"], command.GetParameter<string[]>("tags"));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), command.GetParameter<DateTimeOffset>("when"));
    }

    [Fact]
    public void GetParameter_Object_IsReadAsARecordWithCamelCaseNames()
    {
        var command = Command("""{"size":{"width":640,"height":480}}""");

        Assert.Equal(new Size(640, 480), command.GetParameter<Size>("size"));
    }

    [Fact]
    public void GetParameter_AsJsonElement_ReturnsTheRawValue()
    {
        var command = Command("""{"raw":{"x":[1,2]}}""");

        Assert.Equal(2, command.GetParameter<JsonElement>("raw").GetProperty("x").GetArrayLength());
    }

    [Fact]
    public void GetParameter_Missing_ThrowsMeshParameterExceptionNamingTheParameter()
    {
        var command = Command("""{"other":1}""");

        var error = Assert.Throws<MeshParameterException>(() => command.GetParameter<int>("count"));

        Assert.Equal("The parameter 'count' is required.", error.Message);
        Assert.Equal(MeshErrorCodes.InvalidParameters, error.Code);
    }

    [Fact]
    public void GetParameter_NoParametersAtAll_ThrowsMeshParameterException()
    {
        var error = Assert.Throws<MeshParameterException>(() => Command(null).GetParameter<string>("name"));

        Assert.Contains("'name'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"n":"five"}""")]
    [InlineData("""{"n":{"value":5}}""")]
    [InlineData("""{"n":[5]}""")]
    [InlineData("""{"n":5.5}""")]
    [InlineData("""{"n":true}""")]
    [InlineData("""{"n":99999999999}""")]
    public void GetParameter_WrongType_ThrowsMeshParameterExceptionNamingTheParameterAndType(string json)
    {
        var error = Assert.Throws<MeshParameterException>(() => Command(json).GetParameter<int>("n"));

        Assert.StartsWith("The parameter 'n' is not a valid Int32", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public void GetParameter_NumberForString_ThrowsMeshParameterException()
    {
        var error = Assert.Throws<MeshParameterException>(() => Command("""{"name":42}""").GetParameter<string>("name"));

        Assert.StartsWith("The parameter 'name' is not a valid String", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetParameter_NumberInAString_IsReadAsANumber()
    {
        Assert.Equal(42, Command("""{"n":"42"}""").GetParameter<int>("n"));
    }

    [Fact]
    public void GetParameter_NullValue_ThrowsMeshParameterException()
    {
        var error = Assert.Throws<MeshParameterException>(() => Command("""{"name":null}""").GetParameter<string>("name"));

        Assert.Equal("The parameter 'name' must not be null.", error.Message);
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("NAME")]
    [InlineData("name")]
    public void GetParameter_NameIsCaseInsensitive(string name)
    {
        Assert.Equal("ada", Command("""{"nAmE":"ada"}""").GetParameter<string>(name));
    }

    [Fact]
    public void GetParameter_WithDefault_Absent_ReturnsTheDefault()
    {
        Assert.Equal(1000, Command("""{"other":1}""").GetParameter("ms", 1000));
    }

    [Fact]
    public void GetParameter_WithDefault_NoParameters_ReturnsTheDefault()
    {
        Assert.Equal("fallback", Command(null).GetParameter("name", "fallback"));
    }

    [Fact]
    public void GetParameter_WithDefault_Null_ReturnsTheDefault()
    {
        Assert.Equal(7, Command("""{"ms":null}""").GetParameter("ms", 7));
    }

    [Fact]
    public void GetParameter_WithDefault_Present_ReturnsTheValue()
    {
        Assert.Equal(250, Command("""{"MS":250}""").GetParameter("ms", 1000));
    }

    [Fact]
    public void GetParameter_WithDefault_WrongType_StillThrows()
    {
        var error = Assert.Throws<MeshParameterException>(() => Command("""{"ms":"soon"}""").GetParameter("ms", 1000));

        Assert.Contains("'ms'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2,3]", "Array")]
    [InlineData("\"text\"", "String")]
    [InlineData("42", "Number")]
    [InlineData("true", "True")]
    public void GetParameter_NonObjectParameters_ThrowsMeshParameterException(string json, string kind)
    {
        var command = Command(json);

        var error = Assert.Throws<MeshParameterException>(() => command.GetParameter<int>("n"));
        var withDefault = Assert.Throws<MeshParameterException>(() => command.GetParameter("n", 1));

        Assert.Equal($"The parameters must be a JSON object, not {kind}.", error.Message);
        Assert.Equal(error.Message, withDefault.Message);
    }

    [Fact]
    public void GetParameters_Object_IsReadAsOneRecord()
    {
        var size = Command("""{"Width":3,"height":4,"extra":"ignored"}""").GetParameters<Size>();

        Assert.Equal(new Size(3, 4), size);
    }

    [Fact]
    public void GetParameters_None_ReturnsDefault()
    {
        Assert.Null(Command(null).GetParameters<Size>());
        Assert.Equal(0, Command(null).GetParameters<int>());
    }

    [Fact]
    public void GetParameters_NonObjectParameters_CanBeReadAsTheirType()
    {
        Assert.Equal([1, 2, 3], Command("[1,2,3]").GetParameters<int[]>()!);
        Assert.Equal("text", Command("\"text\"").GetParameters<string>());
    }

    [Fact]
    public void GetParameters_WrongShape_ThrowsMeshParameterException()
    {
        var error = Assert.Throws<MeshParameterException>(() => Command("[1,2]").GetParameters<Size>());

        Assert.StartsWith("The parameter 'parameters' is not a valid Size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HasParameter_ReportsPresenceOfAProperty()
    {
        var command = Command("""{"n":1,"empty":null}""");

        Assert.True(command.HasParameter("n"));
        Assert.True(command.HasParameter("empty"));
        Assert.False(command.HasParameter("missing"));
    }

    [Theory]
    [InlineData("N")]
    [InlineData("n")]
    public void HasParameter_NameIsCaseInsensitiveLikeGetParameter(string name)
    {
        var command = Command("""{"n":1}""");

        Assert.True(command.HasParameter(name));
        Assert.Equal(1, command.GetParameter<int>(name));
    }

    [Fact]
    public void HasParameter_NoOrNonObjectParameters_IsFalse()
    {
        Assert.False(Command(null).HasParameter("n"));
        Assert.False(Command("[1]").HasParameter("n"));
    }

    private sealed record Size(int Width, int Height);
}
