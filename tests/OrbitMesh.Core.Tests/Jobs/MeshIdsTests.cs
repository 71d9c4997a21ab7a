namespace OrbitMesh.Core.Tests.Jobs;

public sealed class MeshIdsTests
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    [Fact]
    public void NewJobId_HasTheJobPrefixAnd20Characters()
    {
        var id = MeshIds.NewJobId();

        Assert.StartsWith("job_", id, StringComparison.Ordinal);
        Assert.Equal("job_".Length + 20, id.Length);
    }

    [Theory]
    [InlineData("err")]
    [InlineData("x")]
    [InlineData("workflow-run")]
    [InlineData("")]
    public void New_UsesTheGivenPrefix(string prefix)
    {
        var id = MeshIds.New(prefix);

        Assert.Equal(prefix + "_", id[..(prefix.Length + 1)]);
        Assert.Equal(prefix.Length + 1 + 20, id.Length);
    }

    [Fact]
    public void New_UsesOnlyTheLowercaseCrockfordAlphabet()
    {
        for (var i = 0; i < 1000; i++)
        {
            var random = MeshIds.New("t")[2..];
            Assert.All(random, c => Assert.Contains(c, Alphabet));
        }
    }

    [Fact]
    public void New_AvoidsAmbiguousCharacters()
    {
        var all = string.Concat(Enumerable.Range(0, 2000).Select(_ => MeshIds.NewJobId()[4..]));

        Assert.DoesNotContain('i', all);
        Assert.DoesNotContain('l', all);
        Assert.DoesNotContain('o', all);
        Assert.DoesNotContain('u', all);
    }

    [Fact]
    public void New_UsesTheWholeAlphabet()
    {
        var seen = new HashSet<char>(string.Concat(Enumerable.Range(0, 2000).Select(_ => MeshIds.NewJobId()[4..])));

        Assert.Equal(Alphabet.Length, seen.Count);
    }

    [Fact]
    public void New_IsUniqueOverManyIds()
    {
        const int Count = 100_000;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            ids.Add(MeshIds.NewJobId());
        }

        Assert.Equal(Count, ids.Count);
    }

    [Fact]
    public async Task New_IsUniqueAcrossThreads()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 10_000).Select(_ => MeshIds.New("p")).ToArray())));

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void New_StartsWithTheCreationTime_SoLaterIdsSortAfterEarlierOnes()
    {
        var clock = new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000));
        var first = MeshIds.New("job", clock);
        var sameMillisecond = MeshIds.New("job", clock);
        clock.Now = clock.Now.AddMilliseconds(1);
        var later = MeshIds.New("job", clock);
        clock.Now = clock.Now.AddYears(30);
        var muchLater = MeshIds.New("job", clock);

        Assert.Equal(first[..13], sameMillisecond[..13]);
        Assert.NotEqual(first, sameMillisecond);
        Assert.True(string.CompareOrdinal(first, later) < 0 && string.CompareOrdinal(sameMillisecond, later) < 0);
        Assert.True(string.CompareOrdinal(later, muchLater) < 0);
        Assert.Equal(24, muchLater.Length);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
