using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OrbitMesh.Storage.Sqlite.Tests;

/// <summary>Opening refuses what is not a healthy OrbitMesh database of a known schema, never recreating or dropping data.</summary>
public sealed class SqliteDatabaseTests
{
    [Fact]
    public async Task Open_ANewFile_CreatesTheSchemaInWalMode()
    {
        await using var temp = new TempDatabase();
        temp.Open();

        using var connection = new SqliteConnection($"Data Source={temp.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal(SqliteMigrations.Latest.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(connection, "SELECT max(version) FROM schema_version;"));
        Assert.Equal("orbitmesh", Scalar(connection, "SELECT value FROM meta WHERE key = 'application';"));
    }

    [Fact]
    public async Task Reopen_KeepsTheData()
    {
        await using var temp = new TempDatabase();
        var first = temp.Open();
        var job = JobRecord.FromRequest(new JobRequest { Id = "job_keep", Command = "c" }, DateTimeOffset.UtcNow);
        await new SqliteJobStore(first, TimeProvider.System).CreateAsync(job, new JobEvent { JobId = job.Id, Sequence = 1 }, TimeSpan.FromHours(1));
        await first.DisposeAsync();

        var second = temp.Open();
        Assert.NotNull(await new SqliteJobStore(second, TimeProvider.System).GetAsync("job_keep"));
    }

    [Fact]
    public async Task Open_AFileThatIsNotADatabase_IsRefused_AndLeftUntouched()
    {
        await using var temp = new TempDatabase();
        var garbage = new byte[8192];
        new Random(42).NextBytes(garbage);
        await File.WriteAllBytesAsync(temp.Path, garbage);

        var error = Assert.Throws<StorageUnavailableException>(() => temp.Open());

        Assert.Contains("not an OrbitMesh database", error.Message, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(temp.Path));
    }

    [Fact]
    public async Task Open_AForeignSqliteDatabase_IsRefused_AndItsTablesKept()
    {
        await using var temp = new TempDatabase();
        using (var connection = new SqliteConnection($"Data Source={temp.Path};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada');");
        }

        var error = Assert.Throws<StorageUnavailableException>(() => temp.Open());

        Assert.Contains("not an OrbitMesh one", error.Message, StringComparison.Ordinal);
        using var check = new SqliteConnection($"Data Source={temp.Path};Mode=ReadOnly;Pooling=False");
        check.Open();
        Assert.Equal("ada", Scalar(check, "SELECT name FROM customers;"));
        Assert.Equal("0", Scalar(check, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs';"));
    }

    [Fact]
    public async Task Open_ADatabaseFromANewerSchema_IsRefused()
    {
        await using var temp = new TempDatabase();
        await temp.Open().DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={temp.Path};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "INSERT INTO schema_version (version, description, applied_at) VALUES (999, 'from the future', '2030-01-01');");
        }

        var error = Assert.Throws<StorageUnavailableException>(() => temp.Open());

        Assert.Contains("newer OrbitMesh", error.Message, StringComparison.Ordinal);
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_ADamagedDatabase_IsRefused()
    {
        await using var temp = new TempDatabase();
        var database = temp.Open();
        var jobs = new SqliteJobStore(database, TimeProvider.System);
        for (var i = 0; i < 200; i++)
        {
            var job = JobRecord.FromRequest(new JobRequest { Id = $"job_{i:D4}", Command = "c", Parameters = JsonSerializer.SerializeToElement(new { blob = new string('x', 500) }) }, DateTimeOffset.UtcNow);
            await jobs.CreateAsync(job, new JobEvent { JobId = job.Id, Sequence = 1 }, TimeSpan.FromHours(1));
        }

        await database.DisposeAsync();

        // Overwrite pages in the middle of the file (not the header): structure damage SQLite's checks find.
        await using (var file = new FileStream(temp.Path, FileMode.Open, FileAccess.Write))
        {
            file.Seek(file.Length / 2, SeekOrigin.Begin);
            var noise = new byte[16384];
            new Random(7).NextBytes(noise);
            await file.WriteAsync(noise);
        }

        var error = Assert.Throws<StorageUnavailableException>(() => temp.Open());
        Assert.True(error.Message.Contains("damaged", StringComparison.Ordinal) || error.Message.Contains("not an OrbitMesh database", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public async Task Full_WritesFailWithAClearReason_HealthReportsIt_NothingPartialIsStored()
    {
        await using var temp = new TempDatabase();
        var database = temp.Open(o => o.MaxDatabaseSizeBytes = 256 * 1024);
        var jobs = new SqliteJobStore(database, TimeProvider.System);

        StorageUnavailableException? failure = null;
        var stored = 0;
        for (var i = 0; i < 10_000 && failure is null; i++)
        {
            var job = JobRecord.FromRequest(new JobRequest { Id = $"job_{i:D5}", Command = "c", Parameters = JsonSerializer.SerializeToElement(new { blob = new string('y', 2000) }) }, DateTimeOffset.UtcNow);
            try
            {
                await jobs.CreateAsync(job, new JobEvent { JobId = job.Id, Sequence = 1 }, TimeSpan.FromHours(1));
                stored++;
            }
            catch (StorageUnavailableException ex)
            {
                failure = ex;
                Assert.Null(await jobs.GetAsync(job.Id));
            }
        }

        Assert.NotNull(failure);
        Assert.Contains("full", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(database.Problem);
        Assert.Equal(stored, (await jobs.QueryAsync(new JobQuery { Limit = 1000 })).Count + Math.Max(0, stored - 1000));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()?.ToString();
    }
}
