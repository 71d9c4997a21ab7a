using OrbitMesh.Cli.Output;

namespace OrbitMesh.Cli.Tests.Output;

public sealed class TextTableTests
{
    private static string Lines(params string[] lines) => string.Concat(lines.Select(l => l + Environment.NewLine));

    [Fact]
    public void ToString_AlignsColumnsToTheWidestCellWithTwoSpacesBetween()
    {
        var table = new TextTable("ID", "NAME", "STATUS")
            .AddRow("a", "Alpha", "Ready")
            .AddRow("long-id", "B", "Disconnected");

        Assert.Equal(
            Lines(
                "ID       NAME   STATUS",
                "-------  -----  ------------",
                "a        Alpha  Ready",
                "long-id  B      Disconnected"),
            table.ToString());
    }

    [Fact]
    public void ToString_NoRows_IsTheHeaderAndItsRule()
    {
        Assert.Equal(Lines("ID  NAME", "--  ----"), new TextTable("ID", "NAME").ToString());
    }

    [Fact]
    public void ToString_HeaderWiderThanCells_KeepsTheHeaderWidth()
    {
        var table = new TextTable("IDENTIFIER", "X").AddRow("a", "b");

        Assert.Equal(Lines("IDENTIFIER  X", "----------  -", "a           b"), table.ToString());
    }

    [Fact]
    public void ToString_NullAndMissingCells_AreEmpty()
    {
        var table = new TextTable("A", "B", "C")
            .AddRow("1", null, "3")
            .AddRow("only");

        Assert.Equal(
            Lines(
                "A     B  C",
                "----  -  -",
                "1        3",
                "only     "),
            table.ToString());
    }

    [Fact]
    public void ToString_ExtraCells_AreIgnored()
    {
        var table = new TextTable("A").AddRow("1", "extra");

        Assert.Equal(Lines("A", "-", "1"), table.ToString());
    }

    [Fact]
    public void ToString_LastColumnIsNotPadded()
    {
        var table = new TextTable("A", "LONG HEADER").AddRow("x", "y");

        Assert.All(table.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries), line => Assert.False(line.EndsWith(' ')));
    }

    [Fact]
    public void AddRow_ReturnsTheTableForChaining()
    {
        var table = new TextTable("A");

        Assert.Same(table, table.AddRow("1"));
    }
}
