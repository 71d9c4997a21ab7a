namespace OrbitMesh.Core.Tests.Docs;

/// <summary>
/// docs/architecture.md draws the job and agent lifecycles from the Stateless machines themselves, so
/// the diagrams cannot drift from the code. With ORBITMESH_UPDATE_DOCS=1 the test rewrites them.
/// </summary>
public sealed class StateDiagramDocsTests
{
    public static TheoryData<string> Machines => ["job-lifecycle", "agent-lifecycle"];

    [Theory]
    [MemberData(nameof(Machines))]
    public void Architecture_ShowsTheDiagramGeneratedFromTheMachine(string name)
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "architecture.md");
        var docs = File.ReadAllText(path);
        var (begin, end) = ($"<!-- {name}: generated from the state machine -->\n```mermaid\n", "```\n");
        var start = docs.IndexOf(begin, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/architecture.md has no '{begin.TrimEnd()}' block");
        start += begin.Length;
        var stop = docs.IndexOf(end, start, StringComparison.Ordinal);
        var expected = Generated(name);
        if (Environment.GetEnvironmentVariable("ORBITMESH_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, docs[..start] + expected + docs[stop..]);
            return;
        }

        Assert.Equal(expected, docs[start..stop]);
    }

    private static string Generated(string name) =>
        (name == "job-lifecycle" ? JobStateMachine.ToMermaid() : AgentStateMachine.ToMermaid()).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OrbitMesh.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root (OrbitMesh.slnx) is not above the test directory.");
        }

        return root;
    }
}
