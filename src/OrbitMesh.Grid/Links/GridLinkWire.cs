namespace OrbitMesh.Grid.Links;

/// <summary>
/// <c>grid.link.expect</c>'s parameters: the server tells the receiving star that <paramref name="SourceNodeId"/>
/// will push <paramref name="Path"/> (<paramref name="Length"/> bytes in all) for <paramref name="JobId"/>, with a
/// token signed by the key whose SubjectPublicKeyInfo is <paramref name="ServerKey"/> (base64). With
/// <paramref name="Resume"/> the star keeps what it has of the file and says from where to continue.
/// </summary>
internal sealed record LinkExpectRequest(string JobId, string SourceNodeId, string TargetNodeId, string Path, long Length, bool Resume, string ServerKey);

/// <summary>What the receiving star answers: where to push, and the offset the push must start at.</summary>
internal sealed record LinkExpectReply(string Address, long Offset);

/// <summary><c>grid.link.push</c>'s parameters: push <paramref name="Path"/>'s bytes from <paramref name="Offset"/> on to <paramref name="Address"/>.</summary>
internal sealed record LinkPushRequest(string JobId, string Path, string Address, string Token, long Offset, long Length);

/// <summary>What the receiving star reports once the file is complete and its digest checked.</summary>
internal sealed record LinkPushReply(long Length, long Received, string Blake3);

/// <summary>A refusal from the receiving star, as its HTTP response body.</summary>
internal sealed record LinkRefusal(string Code, string Message);
