using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Tests.Security.Nodes;

public sealed class CapabilityGrantsTests
{
    [Theory]
    [InlineData("wasm:resize@2", "wasm.resize")]
    [InlineData("wasm:resize", "wasm.resize")]
    [InlineData("echo", "echo")]
    public void RequiredFor_FamilyCommand_NeedsPrefixDotName(string command, string capability) =>
        Assert.Equal(capability, new CapabilityGrants([], new Dictionary<string, string>()).RequiredFor(command));

    [Fact]
    public void AllowsCommand_WasmGrants_CoverTheirModulesInAnyVersion()
    {
        var one = new CapabilityGrants(["wasm.resize"], new Dictionary<string, string>());
        var all = new CapabilityGrants(["wasm.*"], new Dictionary<string, string>());

        Assert.True(one.AllowsCommand("wasm:resize@1"));
        Assert.True(one.AllowsCommand("wasm:resize"));
        Assert.False(one.AllowsCommand("wasm:other@1"));
        Assert.True(all.AllowsCommand("wasm:other@1"));
    }
}
