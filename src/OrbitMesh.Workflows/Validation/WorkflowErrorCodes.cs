namespace OrbitMesh.Workflows;

/// <summary>The codes of <see cref="WorkflowValidationError"/>.</summary>
public static class WorkflowErrorCodes
{
    /// <summary>The JSON could not be read as a definition.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>The YAML could not be read: malformed, or using what definitions refuse (anchors, aliases, tags, several documents).</summary>
    public const string InvalidYaml = "invalid_yaml";

    /// <summary>The document breaks the published JSON Schema (docs/workflow.schema.json): an unknown property, a wrong type, a bad pattern.</summary>
    public const string SchemaViolation = "schema_violation";

    /// <summary>An expression (a step's <c>if</c>, a <c>${{ }}</c> template in its parameters) does not parse or breaks the expression limits.</summary>
    public const string InvalidExpression = "invalid_expression";

    /// <summary>The definition is over one of <see cref="WorkflowLimits"/>.</summary>
    public const string OverLimit = "over_limit";

    /// <summary>A workflow name is missing or breaks the id rules.</summary>
    public const string InvalidName = "invalid_name";

    /// <summary>A step id is missing or breaks the id rules.</summary>
    public const string InvalidId = "invalid_id";

    /// <summary>Two steps share an id.</summary>
    public const string DuplicateId = "duplicate_id";

    /// <summary>A step depends on a step that does not exist.</summary>
    public const string UnknownDependency = "unknown_dependency";

    /// <summary>Steps depend on each other in a circle.</summary>
    public const string Cycle = "cycle";

    /// <summary>A parallel block of the builder has no branch, or a branch adds no step.</summary>
    public const string EmptyBranch = "empty_branch";

    /// <summary>A step or compensation lacks what its kind needs (a command, a type) or has what it must not.</summary>
    public const string InvalidStep = "invalid_step";

    /// <summary>A target is malformed or given where it means nothing.</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>Parameters are not a JSON object.</summary>
    public const string InvalidParameters = "invalid_parameters";

    /// <summary>A retry policy is out of range.</summary>
    public const string InvalidRetry = "invalid_retry";

    /// <summary>A timeout is zero, negative or over its limit.</summary>
    public const string InvalidTimeout = "invalid_timeout";

    /// <summary>A workflow-level setting (version, parallelism) is out of range.</summary>
    public const string InvalidSetting = "invalid_setting";

    /// <summary>The builder was used in an order that means nothing (a modifier before any step).</summary>
    public const string BuilderMisuse = "builder_misuse";

    /// <summary>A run was started without a parameter its definition requires.</summary>
    public const string MissingParameter = "missing_parameter";

    /// <summary>A run was started without a secret one of its steps reads (<c>${{ secrets.NAME }}</c>).</summary>
    public const string MissingSecret = "missing_secret";

    /// <summary>A run's secrets are malformed: a bad name, a value that is not text or too long, one no step reads, or too many.</summary>
    public const string InvalidSecret = "invalid_secret";

    /// <summary>A class step names a type that is not registered on the server.</summary>
    public const string UnknownStepType = "unknown_step_type";
}
