namespace OrbitMesh.Workflows;

/// <summary>
/// The server-side step and compensation classes a definition may name by their full type name
/// (<c>stepType</c> in JSON). Only registered types are activated: a definition from the API cannot
/// make the server instantiate an arbitrary type.
/// </summary>
public sealed class WorkflowStepTypes
{
    private readonly Dictionary<string, Type> _types = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Registers a type implementing <see cref="IWorkflowStep"/> or <see cref="ICompensationStep"/>.</summary>
    public void Add(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(IWorkflowStep).IsAssignableFrom(type) && !typeof(ICompensationStep).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type.FullName} implements neither IWorkflowStep nor ICompensationStep.", nameof(type));
        }

        if (type.IsAbstract || type.IsInterface)
        {
            throw new ArgumentException($"{type.FullName} is abstract; a step class must be concrete.", nameof(type));
        }

        var name = type.FullName ?? type.Name;
        lock (_lock)
        {
            if (_types.TryGetValue(name, out var existing) && existing != type)
            {
                throw new ArgumentException($"Two step types share the name '{name}' ({existing.AssemblyQualifiedName} and {type.AssemblyQualifiedName}).", nameof(type));
            }

            _types[name] = type;
        }
    }

    /// <summary>Registers every class type a code-built definition names (its steps and compensations).</summary>
    public void AddFrom(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        foreach (var step in definition.Steps)
        {
            if (step.StepClrType is { } stepType)
            {
                Add(stepType);
            }

            if (step.Compensation?.StepClrType is { } compensationType)
            {
                Add(compensationType);
            }
        }

        if (definition.OnFailure?.StepClrType is { } onFailure)
        {
            Add(onFailure);
        }
    }

    /// <summary>The registered type with that full name.</summary>
    public bool TryGet(string name, out Type type)
    {
        lock (_lock)
        {
            return _types.TryGetValue(name, out type!);
        }
    }

    /// <summary>The registered names, for error messages.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock)
            {
                return [.. _types.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }
}
