namespace OrbitMesh.Workflows;

/// <summary>
/// Finds dependency cycles with a depth-first search (iterative, so a chain of a thousand steps does
/// not deepen the call stack). Each cycle is named in execution order, starting from its first
/// declared step: <c>a -> b -> a</c> means b waits for a and a waits for b.
/// </summary>
internal static class WorkflowCycleFinder
{
    /// <param name="order">The step ids in declaration order, each once.</param>
    /// <param name="dependencies">Each step's known dependencies (unknown ids already left out).</param>
    /// <param name="limit">The most cycles to return.</param>
    public static IReadOnlyList<IReadOnlyList<string>> Find(
        IReadOnlyList<string> order,
        IReadOnlyDictionary<string, IReadOnlyList<string>> dependencies,
        int limit)
    {
        var declared = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < order.Count; i++)
        {
            declared[order[i]] = i;
        }

        var done = new HashSet<string>(StringComparer.Ordinal);
        var onPath = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        var next = new List<int>();
        var found = new List<IReadOnlyList<string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var root in order)
        {
            if (done.Contains(root))
            {
                continue;
            }

            Push(root);
            while (path.Count > 0 && found.Count < limit)
            {
                var top = path.Count - 1;
                var node = path[top];
                var edges = dependencies.TryGetValue(node, out var list) ? list : [];
                if (next[top] >= edges.Count)
                {
                    done.Add(node);
                    onPath.Remove(node);
                    path.RemoveAt(top);
                    next.RemoveAt(top);
                    continue;
                }

                var dependency = edges[next[top]++];
                if (onPath.TryGetValue(dependency, out var at))
                {
                    var cycle = Name(path, at, declared);
                    if (seen.Add(string.Join('\n', cycle)))
                    {
                        found.Add(cycle);
                    }
                }
                else if (!done.Contains(dependency) && declared.ContainsKey(dependency))
                {
                    Push(dependency);
                }
            }

            if (found.Count >= limit)
            {
                break;
            }
        }

        return found;

        void Push(string node)
        {
            onPath[node] = path.Count;
            path.Add(node);
            next.Add(0);
        }
    }

    /// <summary>
    /// The path from <paramref name="start"/> to the end waits, step by step, on the next one and the
    /// last waits on the first; reversed, it reads in execution order.
    /// </summary>
    private static List<string> Name(List<string> path, int start, Dictionary<string, int> declared)
    {
        var members = path.GetRange(start, path.Count - start);
        members.Reverse();
        var first = 0;
        for (var i = 1; i < members.Count; i++)
        {
            if (declared[members[i]] < declared[members[first]])
            {
                first = i;
            }
        }

        var cycle = new List<string>(members.Count + 1);
        for (var i = 0; i < members.Count; i++)
        {
            cycle.Add(members[(first + i) % members.Count]);
        }

        cycle.Add(cycle[0]);
        return cycle;
    }
}
