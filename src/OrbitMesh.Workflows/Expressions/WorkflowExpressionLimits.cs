namespace OrbitMesh.Workflows;

/// <summary>The limits every workflow expression is held to (docs/workflows.md, Expressions).</summary>
public static class WorkflowExpressionLimits
{
    /// <summary>The longest expression, in characters.</summary>
    public const int MaxLength = 2048;

    /// <summary>
    /// The deepest nesting of parentheses, calls and unary operators. Kept low on purpose: NCalc's
    /// parser backtracks on malformed input at a cost that doubles with each level (16 levels took
    /// 40-65 ms here, 12 take under 4 ms), and a condition rarely needs more than four.
    /// </summary>
    public const int MaxDepth = 12;

    /// <summary>The most names (<c>params.x</c>, <c>steps.a.output</c>) one expression may read.</summary>
    public const int MaxNames = 64;

    /// <summary>The most characters of string values one evaluation may read, which bounds what concatenation can build.</summary>
    public const int MaxStringCharactersRead = 256 * 1024;

    /// <summary>The most <c>${{ }}</c> templates in one step's parameters.</summary>
    public const int MaxTemplatesPerStep = 256;

    /// <summary>The longest string a template may produce, in characters.</summary>
    public const int MaxRenderedLength = 1024 * 1024;

    /// <summary>How long one evaluation may take (checked at every name and function it reaches).</summary>
    public static readonly TimeSpan MaxEvaluationTime = TimeSpan.FromMilliseconds(100);
}
