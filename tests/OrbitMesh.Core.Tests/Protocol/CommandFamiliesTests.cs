using OrbitMesh.Protocol;

namespace OrbitMesh.Core.Tests.Protocol;

public sealed class CommandFamiliesTests
{
    [Theory]
    [InlineData("wasm:resize@2", "wasm:*")]
    [InlineData("wasm:resize", "wasm:*")]
    [InlineData("echo", null)]
    [InlineData("wasm:", null)]
    [InlineData(":x", null)]
    [InlineData("wasm:*", null)]
    public void FamilyOf_NamesThePrefixWildcard(string command, string? family) =>
        Assert.Equal(family, CommandFamilies.FamilyOf(command));

    [Fact]
    public void Covers_ExactCommandOrFamily()
    {
        var commands = new HashSet<string>(["echo", "wasm:*"], StringComparer.Ordinal);

        Assert.True(CommandFamilies.Covers(commands, "echo"));
        Assert.True(CommandFamilies.Covers(commands, "wasm:square@1"));
        Assert.False(CommandFamilies.Covers(commands, "sleep"));
        Assert.False(CommandFamilies.Covers(commands, "file:read"));
    }
}
