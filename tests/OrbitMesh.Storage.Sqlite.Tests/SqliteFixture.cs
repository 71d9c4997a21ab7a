using Microsoft.Extensions.Logging.Abstractions;

namespace OrbitMesh.Storage.Sqlite.Tests;

/// <summary>A temp directory with an OrbitMesh SQLite database in it, removed afterwards.</summary>
public sealed class TempDatabase : IAsyncDisposable
{
    public TempDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "orbitmesh-sqlite-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "orbitmesh.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public SqliteDatabase? Database { get; private set; }

    public SqliteDatabase Open(Action<SqliteStorageOptions>? configure = null)
    {
        var options = new SqliteStorageOptions { Path = Path };
        configure?.Invoke(options);
        Database = new SqliteDatabase(options, NullLogger<SqliteDatabase>.Instance);
        return Database;
    }

    public async ValueTask DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
