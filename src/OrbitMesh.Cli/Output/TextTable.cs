using System.Text;

namespace OrbitMesh.Cli.Output;

/// <summary>A plain-text table with aligned columns.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable AddRow(params string?[] cells)
    {
        _rows.Add(cells.Select(c => c ?? "").ToArray());
        return this;
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        AppendLine(text, headers, widths);
        AppendLine(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in _rows)
        {
            AppendLine(text, row, widths);
        }

        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, string[] cells, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Length ? cells[i] : "";
            text.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
        }

        text.AppendLine();
    }
}
