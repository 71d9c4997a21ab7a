namespace OrbitMesh.Grid;

/// <summary>The digests <see cref="IOrbitSystem.HashRangeAsync"/> computes.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<GridHashAlgorithm>))]
public enum GridHashAlgorithm
{
    /// <summary>BLAKE3, 256-bit output (the default: fast and parallel).</summary>
    Blake3,

    /// <summary>SHA-256.</summary>
    Sha256,
}
