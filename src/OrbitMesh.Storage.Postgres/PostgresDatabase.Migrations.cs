using Npgsql;

namespace OrbitMesh.Storage.Postgres;

public sealed partial class PostgresDatabase
{
    /// <summary>
    /// Creates the schema when missing and applies the migrations it lacks, in one transaction that holds a
    /// transaction-level advisory lock named after the schema: servers starting at once take turns, and the
    /// second finds the work done.
    /// </summary>
    private void Migrate()
    {
        try
        {
            using var connection = _source.OpenConnection();
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext($1))", "orbitmesh.migrate:" + Schema);
            var tables = Tables(connection, transaction);
            if (tables.Count > 0 && !tables.Contains("schema_version"))
            {
                throw new StorageUnavailableException(
                    $"The schema '{Schema}' at {Location} holds {tables.Count} tables of another application. Refusing to touch it; choose another schema (--postgres-schema) or database.");
            }

            Execute(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS \"{Schema}\"");
            Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            var current = Scalar<int?>(connection, transaction, "SELECT max(version) FROM schema_version") ?? 0;
            if (current > PostgresMigrations.Latest)
            {
                throw new StorageUnavailableException(
                    $"The schema '{Schema}' at {Location} was written by a newer OrbitMesh (schema version {current}; this build knows up to {PostgresMigrations.Latest}). Refusing to use it; run the newer version or restore a backup.");
            }

            if (current > 0 && Scalar<long>(connection, transaction, "SELECT count(*) FROM meta WHERE key = 'application' AND value = $1", PostgresMigrations.Application) == 0)
            {
                throw new StorageUnavailableException($"The schema '{Schema}' at {Location} has a schema_version table but is not marked as OrbitMesh's. Refusing to touch it.");
            }

            foreach (var (version, description, sql) in PostgresMigrations.All.Where(m => m.Version > current))
            {
                Execute(connection, transaction, sql);
                Execute(connection, transaction, "INSERT INTO schema_version (version, description) VALUES ($1, $2)", version, description);
                Log.Migrated(_logger, Location, version, description);
            }

            Execute(connection, transaction, "INSERT INTO meta (key, value) VALUES ('application', $1) ON CONFLICT (key) DO NOTHING", PostgresMigrations.Application);
            transaction.Commit();
            Log.Opened(_logger, Location, PostgresMigrations.Latest);
        }
        catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000")
        {
            throw new StorageUnavailableException($"PostgreSQL at {Location} refused the credentials: {ex.MessageText}. Check the user name and password in the connection string.", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == "3D000")
        {
            throw new StorageUnavailableException($"PostgreSQL at {Location}: {ex.MessageText}. Create the database first (createdb) or name an existing one.", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == "42501")
        {
            throw new StorageUnavailableException($"PostgreSQL at {Location} does not let this user create the schema or its tables: {ex.MessageText}. Grant CREATE on the database or create the schema for the user.", ex);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            throw new StorageUnavailableException($"PostgreSQL at {Location} cannot be reached: {ex.Message}", ex);
        }
    }

    private HashSet<string> Tables(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        using var command = Command(connection, transaction, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", Schema);
        using var reader = command.ExecuteReader();
        var tables = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params object?[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static T? Scalar<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params object?[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
