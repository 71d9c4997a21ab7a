using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Storage.Postgres;

/// <summary>Settings for the PostgreSQL provider.</summary>
public sealed class PostgresStorageOptions
{
    /// <summary>An Npgsql connection string (<c>Host=...;Port=...;Username=...;Password=...;Database=...</c>). Required.</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The schema that holds OrbitMesh's tables (created when missing). Every server of one mesh names the same schema;
    /// two meshes can share a database under different schemas. Default <c>orbitmesh</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "The schema must be a lower-case PostgreSQL identifier (letters, digits, underscores; at most 63 characters).")]
    public string Schema { get; set; } = "orbitmesh";

    /// <summary>How long a statement may run before it is cancelled. Default 30 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>While the database is unreachable, how often the provider checks whether it is back. Default 2 s.</summary>
    public TimeSpan ReconnectProbeInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most connections the provider's pool opens (Npgsql's <c>Maximum Pool Size</c> unless the connection string sets it). Default 50.</summary>
    [Range(1, 10_000)]
    public int MaxPoolSize { get; set; } = 50;
}
