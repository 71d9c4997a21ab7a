using OrbitMesh.Workflows;

namespace OrbitMesh.Dashboard.Components;

/// <summary>
/// Where the DAG view draws each step: a column per depth (the longest chain of dependencies before the
/// step), the steps of a column one under another in the definition's order.
/// </summary>
internal sealed class DagLayout
{
    public const int NodeWidth = 150;
    public const int NodeHeight = 36;
    private const int GapX = 56;
    private const int GapY = 18;
    private const int Margin = 8;

    private DagLayout(IReadOnlyList<Node> nodes, IReadOnlyList<Edge> edges, int width, int height)
    {
        Nodes = nodes;
        Edges = edges;
        Width = width;
        Height = height;
    }

    public IReadOnlyList<Node> Nodes { get; }

    public IReadOnlyList<Edge> Edges { get; }

    public int Width { get; }

    public int Height { get; }

    public static DagLayout Of(WorkflowDefinition definition)
    {
        var steps = definition.Steps.Where(s => s is not null).ToList();
        var byId = steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);

        int DepthOf(string id, int guard)
        {
            if (depth.TryGetValue(id, out var known))
            {
                return known;
            }

            // A stored definition was validated (no cycles); the guard only bounds a corrupt one.
            var value = guard > steps.Count || !byId.TryGetValue(id, out var step) || step.DependsOn.Count == 0
                ? 0
                : 1 + step.DependsOn.Where(byId.ContainsKey).Select(d => DepthOf(d, guard + 1)).DefaultIfEmpty(-1).Max();
            depth[id] = value;
            return value;
        }

        var rows = new Dictionary<int, int>();
        var nodes = new List<Node>(steps.Count);
        var position = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            var column = DepthOf(step.Id, 0);
            var row = rows.GetValueOrDefault(column);
            rows[column] = row + 1;
            var node = new Node(step, Margin + column * (NodeWidth + GapX), Margin + row * (NodeHeight + GapY));
            nodes.Add(node);
            position[step.Id] = node;
        }

        var edges = new List<Edge>();
        foreach (var node in nodes)
        {
            foreach (var dependency in node.Step.DependsOn)
            {
                if (position.TryGetValue(dependency, out var from))
                {
                    edges.Add(new Edge(dependency, node.Step.Id, from.X + NodeWidth, from.Y + NodeHeight / 2, node.X, node.Y + NodeHeight / 2));
                }
            }
        }

        var columns = rows.Count == 0 ? 1 : rows.Keys.Max() + 1;
        var maxRows = rows.Count == 0 ? 1 : rows.Values.Max();
        return new DagLayout(nodes, edges, 2 * Margin + columns * (NodeWidth + GapX) - GapX, 2 * Margin + maxRows * (NodeHeight + GapY) - GapY);
    }

    public sealed record Node(WorkflowStepDefinition Step, int X, int Y);

    public sealed record Edge(string From, string To, int X1, int Y1, int X2, int Y2)
    {
        /// <summary>A horizontal S-curve from the dependency's right side to the dependent's left side.</summary>
        public string Path
        {
            get
            {
                var mid = (X1 + X2) / 2;
                return FormattableString.Invariant($"M{X1},{Y1} C{mid},{Y1} {mid},{Y2} {X2},{Y2}");
            }
        }
    }
}
