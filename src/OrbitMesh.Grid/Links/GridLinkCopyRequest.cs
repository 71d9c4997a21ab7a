namespace OrbitMesh.Grid;

/// <summary>The body of <c>POST /api/grid/copies</c>: copy one file from one star to another over a direct link.</summary>
/// <param name="SourceAgentId">The star that holds the file.</param>
/// <param name="SourcePath">The file on the source star.</param>
/// <param name="TargetAgentId">The star that receives it.</param>
/// <param name="TargetPath">Where it goes on the target star.</param>
public sealed record GridLinkCopyRequest(string SourceAgentId, string SourcePath, string TargetAgentId, string TargetPath);
