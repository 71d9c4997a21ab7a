using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>How SQLite makes commits durable.</summary>
public enum SqliteDurability
{
    /// <summary>
    /// Commits survive a crash of the process (SIGKILL) but the last few may be lost if the machine
    /// loses power (WAL with <c>synchronous=NORMAL</c>). The default.
    /// </summary>
    Process,

    /// <summary>Commits survive a power loss too, at the price of an fsync per batch (<c>synchronous=FULL</c>).</summary>
    PowerLoss,
}

/// <summary>Settings for the SQLite provider.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>The database file. Required.</summary>
    [Required]
    public string Path { get; set; } = string.Empty;

    /// <summary>What a commit survives. Default <see cref="SqliteDurability.Process"/>.</summary>
    public SqliteDurability Durability { get; set; } = SqliteDurability.Process;

    /// <summary>How long a statement waits for a lock held by another connection. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most writes committed in one transaction. Default 512.</summary>
    [Range(1, 100_000)]
    public int MaxWriteBatch { get; set; } = 512;

    /// <summary>Writes waiting for the writer, at most; writers wait beyond that. Default 20,000.</summary>
    [Range(1, 10_000_000)]
    public int WriteQueueCapacity { get; set; } = 20_000;

    /// <summary>A cap on the database size in bytes (0 for none). Past it, writes fail as if the disk were full.</summary>
    [Range(0, long.MaxValue)]
    public long MaxDatabaseSizeBytes { get; set; }
}
