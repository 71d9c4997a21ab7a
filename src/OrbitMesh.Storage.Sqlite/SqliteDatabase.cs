using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>
/// One OrbitMesh SQLite file: opened and checked at start (a foreign, corrupt, newer or read-only
/// file is refused with a clear message, never recreated), migrated to the current schema, in WAL mode.
/// Reads use pooled connections; every write goes through one writer that commits whatever is queued
/// in one transaction (group commit), so many small writes cost one commit.
/// </summary>
public sealed partial class SqliteDatabase : IStorageHealth, IAsyncDisposable
{
    private readonly SqliteStorageOptions _options;
    private readonly ILogger _logger;
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly Channel<WriteOperation> _queue;
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    private readonly DatabaseFileLock _fileLock;
    private volatile string? _problem;
    private int _disposed;

    /// <summary>Opens (or creates) the database, refusing anything that is not a healthy OrbitMesh database of a known schema.</summary>
    public SqliteDatabase(SqliteStorageOptions options, ILogger<SqliteDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        Path = System.IO.Path.GetFullPath(options.Path);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        try
        {
            // The file holds password hashes and keys: a new directory is the owner's only (0700).
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"Cannot create the data directory '{directory}': {ex.Message}", ex);
        }

        _fileLock = DatabaseFileLock.Acquire(Path);
        try
        {
            RestrictFileMode(Path);
        }
        catch
        {
            _fileLock.Dispose();
            throw;
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)Math.Max(1, options.BusyTimeout.TotalSeconds),
        };
        _writeConnectionString = builder.ToString();
        builder.Mode = SqliteOpenMode.ReadWrite;
        _readConnectionString = builder.ToString();

        var existed = File.Exists(Path) && new FileInfo(Path).Length > 0;
        _writer = new SqliteConnection(_writeConnectionString);
        try
        {
            OpenAndPrepare(existed);
        }
        catch
        {
            _writer.Dispose();
            ClearPools();
            _fileLock.Dispose();
            throw;
        }

        _queue = Channel.CreateBounded<WriteOperation>(new BoundedChannelOptions(options.WriteQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writerLoop = Task.Run(WriterLoopAsync);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string? Problem => _problem;

    /// <summary>The size on disk: the database file and its write-ahead log.</summary>
    public long SizeBytes => FileLength(Path) + FileLength(Path + "-wal");

    /// <summary>Runs a read on a pooled connection.</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return read(connection);
        }
    }

    /// <summary>
    /// Queues a write; it runs inside the writer's next transaction and the task completes once that
    /// transaction committed. An exception thrown by <paramref name="write"/> fails only this write (it
    /// must not have changed anything before throwing); a database error fails the whole batch.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken)
    {
        var operation = new WriteOperation<T>(write);
        try
        {
            await _queue.Writer.WriteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new StorageUnavailableException($"The database '{Path}' is closed (the server is stopping); nothing was stored.", ex);
        }

        return await operation.Task.ConfigureAwait(false);
    }

    /// <summary>Checkpoints the write-ahead log into the database file and returns free pages to the file system.</summary>
    public Task CompactFileAsync(CancellationToken cancellationToken) =>
        WriteAsync<object?>((connection, _) => null, cancellationToken).ContinueWith(_ =>
        {
            using var connection = new SqliteConnection(_writeConnectionString);
            connection.Open();
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
            Execute(connection, "PRAGMA incremental_vacuum;");
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        }, cancellationToken, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _writerLoop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            Execute(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException)
        {
        }

        foreach (var command in _prepared.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        ClearPools();
        _fileLock.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Closes this database's pooled connections (so the file is released), and only this database's:
    /// <see cref="SqliteConnection.ClearAllPools"/> would also close other databases' idle connections in the process.
    /// </summary>
    private void ClearPools()
    {
        using var read = new SqliteConnection(_readConnectionString);
        SqliteConnection.ClearPool(read);
        using var write = new SqliteConnection(_writeConnectionString);
        SqliteConnection.ClearPool(write);
    }

    /// <summary>
    /// Creates the database file readable and writable by its owner only (0600), or takes an existing
    /// file's group and other permissions away. SQLite gives its -wal and -shm files the database file's mode.
    /// </summary>
    private static void RestrictFileMode(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            if (!File.Exists(path))
            {
                using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
                return;
            }

            // A file an earlier version created 0644, with its log files.
            foreach (var file in new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists))
            {
                var mode = File.GetUnixFileMode(file);
                if ((mode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
                {
                    File.SetUnixFileMode(file, mode & OwnerOnly);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException($"Cannot create '{path}' or restrict it to its owner: {ex.Message}", ex);
        }
    }

    private void OpenAndPrepare(bool existed)
    {
        try
        {
            _writer.Open();
            Execute(_writer, $"PRAGMA busy_timeout = {(int)_options.BusyTimeout.TotalMilliseconds};");
            if (!existed)
            {
                // Must precede the first table for free pages to be returnable later.
                Execute(_writer, "PRAGMA auto_vacuum = INCREMENTAL;");
            }

            var integrity = Scalar<string>(_writer, "PRAGMA quick_check;");
            if (!string.Equals(integrity, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new StorageUnavailableException($"'{Path}' is damaged (SQLite's quick_check says: {integrity}). Refusing to use it; restore it from a backup or move it away.");
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            throw new StorageUnavailableException(
                $"'{Path}' is not an OrbitMesh database (SQLite: {ex.Message.TrimEnd('.')}). Refusing to overwrite it; move it away or point the server at another data directory.", ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 14 or 23)
        {
            throw new StorageUnavailableException($"Cannot open '{Path}' for writing: {ex.Message} Check that the data directory is writable.", ex);
        }

        var tables = Scalar<long>(_writer, "SELECT count(*) FROM sqlite_master WHERE type = 'table';");
        if (tables > 0 && Scalar<long>(_writer, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta';") == 0)
        {
            throw new StorageUnavailableException(
                $"'{Path}' is an SQLite database, but not an OrbitMesh one (it has {tables} tables of another application). Refusing to touch it; point the server at another data directory.");
        }

        string journal;
        try
        {
            journal = Scalar<string>(_writer, "PRAGMA journal_mode = WAL;");
            Execute(_writer, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, description TEXT NOT NULL, applied_at TEXT NOT NULL);");
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 14 or 13 or 10)
        {
            throw new StorageUnavailableException($"The data directory of '{Path}' cannot be written ({ex.Message}). The server needs a writable data directory.", ex);
        }

        if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageUnavailableException($"SQLite could not switch '{Path}' to write-ahead logging (journal mode is '{journal}').");
        }

        Execute(_writer, _options.Durability == SqliteDurability.PowerLoss ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
        Migrate();
        if (_options.MaxDatabaseSizeBytes > 0)
        {
            var pageSize = Scalar<long>(_writer, "PRAGMA page_size;");
            Execute(_writer, $"PRAGMA max_page_count = {Math.Max(1, _options.MaxDatabaseSizeBytes / pageSize)};");
        }

        Log.Opened(_logger, Path, SqliteMigrations.Latest);
    }

    /// <summary>Applies the migrations this file lacks, in order, in one immediate transaction (which also locks out another server migrating the same file).</summary>
    private void Migrate()
    {
        using var transaction = _writer.BeginTransaction(deferred: false);
        var current = Scalar<long?>(_writer, "SELECT max(version) FROM schema_version;", transaction) ?? 0;
        if (current > SqliteMigrations.Latest)
        {
            throw new StorageUnavailableException(
                $"'{Path}' was written by a newer OrbitMesh (schema version {current}; this build knows up to {SqliteMigrations.Latest}). Refusing to use it; run the newer version or restore a backup.");
        }

        if (current > 0 && Scalar<long>(_writer, "SELECT count(*) FROM meta WHERE key = 'application' AND value = $app;", transaction, ("$app", SqliteMigrations.Application)) == 0)
        {
            throw new StorageUnavailableException($"'{Path}' has a schema_version table but is not marked as an OrbitMesh database. Refusing to touch it.");
        }

        foreach (var (version, description, sql) in SqliteMigrations.All.Where(m => m.Version > current))
        {
            Execute(_writer, sql, transaction);
            Execute(_writer, "INSERT INTO schema_version (version, description, applied_at) VALUES ($v, $d, $t);", transaction,
                ("$v", version), ("$d", description), ("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
            Log.Migrated(_logger, Path, version, description);
        }

        Execute(_writer, "INSERT INTO meta (key, value) VALUES ('application', $app) ON CONFLICT(key) DO NOTHING;", transaction, ("$app", SqliteMigrations.Application));
        transaction.Commit();
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<WriteOperation>(_options.MaxWriteBatch);
        while (await _queue.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.MaxWriteBatch && _queue.Reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }

            try
            {
                using var transaction = _writer.BeginTransaction(deferred: false);
                foreach (var operation in batch)
                {
                    operation.Run(_writer, transaction);
                }

                transaction.Commit();
                if (_problem is not null)
                {
                    Log.Recovered(_logger, Path);
                    _problem = null;
                }

                foreach (var operation in batch)
                {
                    operation.Commit();
                }
            }
            catch (SqliteException ex)
            {
                var reason = ex.SqliteErrorCode switch
                {
                    13 => $"The database '{Path}' is full (disk or size limit): {ex.Message}",
                    8 => $"The database '{Path}' became read-only: {ex.Message}",
                    10 => $"Disk I/O error on '{Path}': {ex.Message}",
                    _ => $"Writing '{Path}' failed: {ex.Message}",
                };
                if (ex.SqliteErrorCode is 13 or 8 or 10)
                {
                    _problem = reason;
                }

                Log.WriteFailed(_logger, batch.Count, reason);
                var failure = new StorageUnavailableException(reason + " Nothing in this batch was stored.", ex);
                foreach (var operation in batch)
                {
                    operation.Fail(failure);
                }
            }
        }
    }

    /// <summary>A command for the writer's connection, prepared once per statement text (only the writer thread calls this).</summary>
    internal SqliteCommand Prepared(SqliteTransaction transaction, string sql)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = _writer.CreateCommand();
            command.CommandText = sql;
            _prepared[sql] = command;
        }

        command.Transaction = transaction;
        command.Parameters.Clear();
        return command;
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    internal static T Scalar<T>(SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var result = command.ExecuteScalar();
        if (result is null or DBNull)
        {
            return default!;
        }

        var target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(result, target, CultureInfo.InvariantCulture);
    }

    private static long FileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private abstract class WriteOperation
    {
        public abstract void Run(SqliteConnection connection, SqliteTransaction transaction);

        public abstract void Commit();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteOperation<T>(Func<SqliteConnection, SqliteTransaction, T> write) : WriteOperation
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _result = default!;
        private Exception? _error;

        public Task<T> Task => _completion.Task;

        public override void Run(SqliteConnection connection, SqliteTransaction transaction)
        {
            try
            {
                _result = write(connection, transaction);
            }
            catch (Exception ex) when (ex is not SqliteException)
            {
                _error = ex;
            }
        }

        public override void Commit()
        {
            if (_error is null)
            {
                _completion.TrySetResult(_result);
            }
            else
            {
                _completion.TrySetException(_error);
            }
        }

        public override void Fail(Exception exception) => _completion.TrySetException(exception);
    }

    private static partial class Log
    {
        [LoggerMessage(7001, LogLevel.Information, "Opened {Path} (schema version {Version}).")]
        public static partial void Opened(ILogger logger, string path, int version);

        [LoggerMessage(7002, LogLevel.Information, "Migrated {Path} to schema version {Version}: {Description}.")]
        public static partial void Migrated(ILogger logger, string path, int version, string description);

        [LoggerMessage(7003, LogLevel.Error, "A batch of {Count} writes failed: {Reason}")]
        public static partial void WriteFailed(ILogger logger, int count, string reason);

        [LoggerMessage(7004, LogLevel.Information, "Writes to {Path} work again.")]
        public static partial void Recovered(ILogger logger, string path);
    }
}
