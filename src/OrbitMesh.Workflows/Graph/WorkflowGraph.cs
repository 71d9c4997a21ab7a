namespace OrbitMesh.Workflows;

/// <summary>
/// The dependency graph of a valid definition, for the runtime: which steps may start given the ones
/// finished, a topological order, and who depends on whom. Ties are broken by declaration order, so
/// the same definition always yields the same order. Immutable and safe to share between threads.
/// </summary>
public sealed class WorkflowGraph
{
    private readonly Dictionary<string, WorkflowStepDefinition> _steps;
    private readonly Dictionary<string, IReadOnlyList<string>> _dependencies;
    private readonly Dictionary<string, IReadOnlyList<string>> _dependents;

    private WorkflowGraph(WorkflowDefinition definition)
    {
        Definition = definition;
        _steps = new Dictionary<string, WorkflowStepDefinition>(definition.Steps.Count, StringComparer.Ordinal);
        _dependencies = new Dictionary<string, IReadOnlyList<string>>(definition.Steps.Count, StringComparer.Ordinal);
        var dependents = new Dictionary<string, List<string>>(definition.Steps.Count, StringComparer.Ordinal);
        foreach (var step in definition.Steps)
        {
            _steps[step.Id] = step;
            _dependencies[step.Id] = [.. (step.DependsOn ?? []).Distinct(StringComparer.Ordinal)];
            dependents[step.Id] = [];
        }

        foreach (var step in definition.Steps)
        {
            foreach (var dependency in _dependencies[step.Id])
            {
                dependents[dependency].Add(step.Id);
            }
        }

        _dependents = dependents.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<string>)pair.Value, StringComparer.Ordinal);
        TopologicalOrder = Sort(definition.Steps);
        Roots = [.. definition.Steps.Where(step => _dependencies[step.Id].Count == 0)];
    }

    /// <summary>The definition the graph was made from.</summary>
    public WorkflowDefinition Definition { get; }

    /// <summary>
    /// Every step id such that each comes after all its dependencies; among steps that could go in
    /// either order, the one declared first comes first.
    /// </summary>
    public IReadOnlyList<string> TopologicalOrder { get; }

    /// <summary>The steps without dependencies, which start with the run.</summary>
    public IReadOnlyList<WorkflowStepDefinition> Roots { get; }

    /// <summary>Makes the graph of a definition after validating it.</summary>
    /// <exception cref="WorkflowValidationException">The definition is invalid; every problem is listed.</exception>
    public static WorkflowGraph Create(WorkflowDefinition definition)
    {
        WorkflowValidator.ThrowIfInvalid(definition);
        return new WorkflowGraph(definition);
    }

    /// <summary>The step with id <paramref name="stepId"/>.</summary>
    /// <exception cref="KeyNotFoundException">No step has that id.</exception>
    public WorkflowStepDefinition GetStep(string stepId) =>
        _steps.TryGetValue(stepId, out var step) ? step : throw Unknown(stepId);

    /// <summary>The steps <paramref name="stepId"/> waits for.</summary>
    public IReadOnlyList<string> GetDependencies(string stepId) =>
        _dependencies.TryGetValue(stepId, out var list) ? list : throw Unknown(stepId);

    /// <summary>The steps that wait for <paramref name="stepId"/> directly.</summary>
    public IReadOnlyList<string> GetDependents(string stepId) =>
        _dependents.TryGetValue(stepId, out var list) ? list : throw Unknown(stepId);

    /// <summary>
    /// Every step that waits for <paramref name="stepId"/>, directly or not, in topological order:
    /// the steps that can no longer run when it fails for good.
    /// </summary>
    public IReadOnlyList<string> GetDescendants(string stepId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(GetDependents(stepId));
        while (pending.TryPop(out var id))
        {
            if (seen.Add(id))
            {
                foreach (var dependent in _dependents[id])
                {
                    pending.Push(dependent);
                }
            }
        }

        return [.. TopologicalOrder.Where(seen.Contains)];
    }

    /// <summary>
    /// The steps that may start now, in declaration order: not finished, not started, and with every
    /// dependency finished. A skipped step counts as finished for the steps after it.
    /// </summary>
    /// <param name="finished">The steps that succeeded or were skipped.</param>
    /// <param name="started">The steps running or waiting to retry, which must not start again; null for none.</param>
    public IReadOnlyList<WorkflowStepDefinition> GetReadySteps(IReadOnlySet<string> finished, IReadOnlySet<string>? started = null)
    {
        ArgumentNullException.ThrowIfNull(finished);
        var ready = new List<WorkflowStepDefinition>();
        foreach (var step in Definition.Steps)
        {
            if (finished.Contains(step.Id) || started?.Contains(step.Id) == true)
            {
                continue;
            }

            if (_dependencies[step.Id].All(finished.Contains))
            {
                ready.Add(step);
            }
        }

        return ready;
    }

    /// <summary>True when every step is in <paramref name="finished"/>.</summary>
    public bool IsComplete(IReadOnlySet<string> finished)
    {
        ArgumentNullException.ThrowIfNull(finished);
        return _steps.Keys.All(finished.Contains);
    }

    private List<string> Sort(IReadOnlyList<WorkflowStepDefinition> steps)
    {
        var declared = new Dictionary<string, int>(steps.Count, StringComparer.Ordinal);
        var waiting = new Dictionary<string, int>(steps.Count, StringComparer.Ordinal);
        var queue = new PriorityQueue<string, int>();
        for (var i = 0; i < steps.Count; i++)
        {
            var id = steps[i].Id;
            declared[id] = i;
            waiting[id] = _dependencies[id].Count;
            if (waiting[id] == 0)
            {
                queue.Enqueue(id, i);
            }
        }

        var order = new List<string>(steps.Count);
        while (queue.TryDequeue(out var id, out _))
        {
            order.Add(id);
            foreach (var dependent in _dependents[id])
            {
                if (--waiting[dependent] == 0)
                {
                    queue.Enqueue(dependent, declared[dependent]);
                }
            }
        }

        return order;
    }

    private static KeyNotFoundException Unknown(string stepId) =>
        new($"The workflow has no step {WorkflowIds.Quote(stepId)}.");
}
