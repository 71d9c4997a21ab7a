namespace OrbitMesh.Workflows;

/// <summary>What a workflow builder and its parallel branches share: the steps, the errors, the ids in use.</summary>
internal sealed class WorkflowBuilderState
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public List<WorkflowStepDefinition> Steps { get; } = [];

    public List<WorkflowValidationError> Errors { get; } = [];

    public bool Built { get; set; }

    /// <summary>Adds a step and returns its index.</summary>
    public int Add(WorkflowStepDefinition step)
    {
        _ids.Add(step.Id);
        Steps.Add(step);
        return Steps.Count - 1;
    }

    /// <summary>An id derived from a type name that no step uses yet: <c>build-step</c>, then <c>build-step-2</c>, ...</summary>
    public string UniqueId(Type type)
    {
        var id = WorkflowIds.FromTypeName(type.Name);
        if (!_ids.Contains(id))
        {
            return id;
        }

        for (var n = 2; ; n++)
        {
            var candidate = $"{id}-{n}";
            if (!_ids.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    /// <summary>True when some step lists <paramref name="id"/> among its dependencies.</summary>
    public bool HasDependents(string id) =>
        Steps.Exists(step => step.DependsOn.Contains(id, StringComparer.Ordinal));
}
