namespace OrbitMesh.Workflows;

/// <summary>A place in a definition document: 1-based line and column.</summary>
/// <param name="Line">The line, from 1.</param>
/// <param name="Column">The column, from 1, in characters.</param>
public readonly record struct SourcePosition(int Line, int Column);
