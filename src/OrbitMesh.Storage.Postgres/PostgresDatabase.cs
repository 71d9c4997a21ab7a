using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// One OrbitMesh schema in a PostgreSQL database, shared by every server of a mesh. Opened and migrated at start under an
/// advisory lock (so servers starting together migrate once); a schema written by a newer OrbitMesh, or holding another
/// application's tables, is refused. Reads and writes run on Npgsql's connection pool; each write is one transaction.
/// When the database cannot be reached, <see cref="Problem"/> says so (the server then refuses new work and reports
/// not-ready) until a probe finds it back.
/// </summary>
public sealed partial class PostgresDatabase : IStorageHealth, IAsyncDisposable
{
    private readonly PostgresStorageOptions _options;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _source;
    private readonly CancellationTokenSource _stopping = new();
    private volatile string? _problem;
    private int _probing;

    /// <summary>Connects, creates the schema when missing and applies the migrations it lacks.</summary>
    public PostgresDatabase(PostgresStorageOptions options, ILogger<PostgresDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _options = options;
        _logger = logger;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new OrbitMeshException("invalid_options", $"The PostgreSQL connection string is invalid: {ex.Message}", ex);
        }

        builder.SearchPath = options.Schema;
        builder.CommandTimeout = (int)Math.Max(1, options.CommandTimeout.TotalSeconds);
        builder.ApplicationName ??= "orbitmesh";
        if (!options.ConnectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) &&
            !options.ConnectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = options.MaxPoolSize;
        }

        Location = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}, schema {options.Schema}";
        _source = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            Migrate();
        }
        catch
        {
            _source.Dispose();
            throw;
        }
    }

    /// <summary>Where the data lives: host, port, database and schema (no credentials).</summary>
    public string Location { get; }

    /// <summary>The schema that holds the tables.</summary>
    public string Schema => _options.Schema;

    /// <inheritdoc />
    public string? Problem => _problem;

    /// <summary>Runs a read on a pooled connection.</summary>
    public Task<T> ReadAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await read(connection, ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <summary>
    /// Runs a write in its own transaction and commits it. An exception thrown by <paramref name="write"/> rolls the
    /// transaction back and reaches the caller (an unreachable database as <see cref="StorageUnavailableException"/>).
    /// </summary>
    public Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            var connection = await _source.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var result = await write(connection, transaction, ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return result;
                }
            }
        }, cancellationToken);

    /// <summary>A command on a connection (and transaction), with positional parameters <c>$1</c>, <c>$2</c>, ...</summary>
    internal static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        return command;
    }

    /// <summary>One statement of an <see cref="NpgsqlBatch"/>, with positional parameters.</summary>
    internal static NpgsqlBatchCommand BatchCommand(string sql, params object?[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(Parameter(value));
        }

        return command;
    }

    /// <summary>A positional parameter; <see cref="DateTimeOffset"/> values are sent in UTC as <c>timestamptz</c> requires.</summary>
    internal static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value },
        DateTimeOffset at => new NpgsqlParameter { Value = at.ToUniversalTime() },
        NpgsqlParameter parameter => parameter,
        _ => new NpgsqlParameter { Value = value },
    };

    /// <summary>A <c>json</c> parameter.</summary>
    internal static NpgsqlParameter Json(string json) => new() { Value = json, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Json };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            var result = await operation(cancellationToken).ConfigureAwait(false);
            if (_problem is not null)
            {
                Recovered();
            }

            return result;
        }
        catch (Exception ex) when (IsUnreachable(ex) && !cancellationToken.IsCancellationRequested)
        {
            var problem = $"PostgreSQL at {Location} cannot be reached: {ex.Message}";
            if (_problem is null)
            {
                Log.Unreachable(_logger, Location, ex.Message);
            }

            _problem = problem;
            StartProbe();
            throw new StorageUnavailableException(problem + " Nothing was stored; retry when it is back.", ex);
        }
    }

    /// <summary>True for failures of the connection (network, server shutting down or refusing connections), not of a statement.</summary>
    internal static bool IsUnreachable(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };

    private void StartProbe()
    {
        if (Interlocked.Exchange(ref _probing, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                while (_problem is not null && !_stopping.IsCancellationRequested)
                {
                    await Task.Delay(_options.ReconnectProbeInterval, _stopping.Token).ConfigureAwait(false);
                    try
                    {
                        var connection = await _source.OpenConnectionAsync(_stopping.Token).ConfigureAwait(false);
                        await using (connection.ConfigureAwait(false))
                        {
                            using var probe = Command(connection, null, "SELECT 1");
                            await probe.ExecuteScalarAsync(_stopping.Token).ConfigureAwait(false);
                        }

                        Recovered();
                    }
                    catch (Exception ex) when (IsUnreachable(ex))
                    {
                        // Still unreachable: try again after the interval.
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            finally
            {
                Volatile.Write(ref _probing, 0);
            }
        });
    }

    private void Recovered()
    {
        if (Interlocked.Exchange(ref _problem, null) is not null)
        {
            Log.Recovered(_logger, Location);
        }
    }

    private static void Validate(PostgresStorageOptions options)
    {
        Hosting.SettingsValidation.ThrowIfInvalid(options, "PostgreSQL storage");

        if (options.CommandTimeout <= TimeSpan.Zero || options.ReconnectProbeInterval <= TimeSpan.Zero)
        {
            throw new OrbitMeshException("invalid_options", "The PostgreSQL storage settings are invalid: CommandTimeout and ReconnectProbeInterval must be positive.");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "PostgreSQL storage at {Location} opened at schema version {Version}")]
        public static partial void Opened(ILogger logger, string location, int version);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "PostgreSQL storage at {Location}: applied migration {Version} ({Description})")]
        public static partial void Migrated(ILogger logger, string location, int version, string description);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "PostgreSQL at {Location} cannot be reached: {Reason}; new work is refused until it is back")]
        public static partial void Unreachable(ILogger logger, string location, string reason);

        [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "PostgreSQL at {Location} is reachable again")]
        public static partial void Recovered(ILogger logger, string location);
    }
}
