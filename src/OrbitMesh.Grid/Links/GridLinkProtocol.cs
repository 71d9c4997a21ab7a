namespace OrbitMesh.Grid.Links;

/// <summary>The data endpoint's wire constants.</summary>
internal static class GridLinkProtocol
{
    /// <summary>The push route; <c>{jobId}</c> names the copy.</summary>
    public const string PushRoute = "/grid/links/{jobId}";

    /// <summary>The authorization scheme carrying the link token.</summary>
    public const string Scheme = "OrbitLink";

    /// <summary>The length of the BLAKE3 digest that follows the range in the request body.</summary>
    public const int DigestLength = 32;

    /// <summary>The agent metadata key under which a star advertises its data address.</summary>
    public const string MetadataKey = "grid.data";

    /// <summary>The code of a link that broke before the range arrived (retryable: the copy resumes).</summary>
    public const string LinkFailedCode = "link_failed";

    /// <summary>Copy buffer size on both sides.</summary>
    public const int BufferSize = 1024 * 1024;

    /// <summary>The path of the push route for one job.</summary>
    public static string PushPath(string jobId) => "/grid/links/" + Uri.EscapeDataString(jobId);
}
