using Microsoft.Extensions.Logging.Abstractions;

namespace OrbitMesh.Storage.Sqlite.Tests;

/// <summary>The database file is held by one process at a time and readable by its owner only.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteDatabaseFileTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task Open_WhileAnotherHoldsTheFile_IsRefusedNamingTheHolder()
    {
        await using var temp = new TempDatabase();
        temp.Open();

        var error = Assert.Throws<StorageUnavailableException>(() => new SqliteDatabase(new SqliteStorageOptions { Path = temp.Path }, NullLogger<SqliteDatabase>.Instance));

        Assert.Contains("is in use by another OrbitMesh server", error.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId} on {Environment.MachineName}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AfterTheHolderClosed_Succeeds()
    {
        await using var temp = new TempDatabase();
        await temp.Open().DisposeAsync();

        var second = new SqliteDatabase(new SqliteStorageOptions { Path = temp.Path }, NullLogger<SqliteDatabase>.Instance);
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Open_ANewDatabase_CreatesItAndItsLogsOwnerOnly_InAnOwnerOnlyDirectory()
    {
        await using var temp = new TempDatabase();
        var directory = Path.Combine(temp.Directory, "data");
        var path = Path.Combine(directory, "orbitmesh.db");
        var database = new SqliteDatabase(new SqliteStorageOptions { Path = path }, NullLogger<SqliteDatabase>.Instance);
        await using (database)
        {
            await new SqliteJobStore(database, TimeProvider.System).CreateAsync(
                JobRecord.FromRequest(new JobRequest { Id = "job_mode", Command = "c" }, DateTimeOffset.UtcNow), new JobEvent { JobId = "job_mode", Sequence = 1 }, TimeSpan.FromHours(1));

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            foreach (var file in new[] { path, path + "-wal", path + "-shm", path + ".lock" })
            {
                Assert.True(File.Exists(file), file);
                Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file));
            }
        }
    }

    [Fact]
    public async Task Open_AnExistingWorldReadableDatabase_RestrictsItToItsOwner()
    {
        await using var temp = new TempDatabase();
        await temp.Open().DisposeAsync();
        File.SetUnixFileMode(temp.Path, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await new SqliteDatabase(new SqliteStorageOptions { Path = temp.Path }, NullLogger<SqliteDatabase>.Instance).DisposeAsync();

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(temp.Path));
    }
}
