using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Tests.Handlers;

/// <summary>Command families (<c>wasm:*</c>) in the <see cref="HandlerRegistry"/>.</summary>
public sealed class CommandFamilyTests
{
    private static HandlerRegistration Noop() => HandlerRegistration.ForDelegate((_, _) => Task.FromResult<object?>(null));

    [Fact]
    public void AddFamily_MatchesCommandsWithThePrefix_AndIsAdvertisedWithAWildcard()
    {
        var registry = new HandlerRegistry();
        var family = Noop();
        var exact = Noop();
        registry.AddFamily("wasm:", family);
        registry.Add("wasm:special", exact);

        Assert.Contains("wasm:*", registry.Commands);
        Assert.True(registry.TryGet("wasm:resize@2", out var found));
        Assert.Same(family, found);
        Assert.True(registry.TryGet("wasm:special", out var special));
        Assert.Same(exact, special);
        Assert.False(registry.TryGet("wasm:", out _));
        Assert.False(registry.TryGet("wasmx", out _));
    }

    [Theory]
    [InlineData("wasm")]
    [InlineData(":")]
    [InlineData("")]
    public void AddFamily_PrefixWithoutColon_Throws(string prefix) =>
        Assert.Throws<ArgumentException>(() => new HandlerRegistry().AddFamily(prefix, Noop()));

    [Fact]
    public void AddFamily_Twice_Throws()
    {
        var registry = new HandlerRegistry();
        registry.AddFamily("wasm:", Noop());

        Assert.Throws<InvalidOperationException>(() => registry.AddFamily("wasm:", Noop()));
    }

    [Fact]
    public async Task ForDual_ExecuteReturnsItsOwnResult_StreamYieldsItems()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var dual = HandlerRegistration.ForDual((_, _) => Task.FromResult<object?>("result"), Items);
        var command = new MeshCommand("wasm:x", null, services);

        var result = await dual.ExecuteAsync(command, CancellationToken.None);
        var items = new List<object?>();
        await foreach (var item in dual.StreamAsync(command, CancellationToken.None))
        {
            items.Add(item);
        }

        Assert.True(dual.IsStream);
        Assert.Equal("result", result);
        Assert.Equal([1, 2], items);
    }

    private static async IAsyncEnumerable<object?> Items(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        yield return 1;
        yield return 2;
    }
}
