using System.Globalization;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>
/// Holds a database file for one process at a time. SQLite itself lets several processes write one
/// file, but two OrbitMesh servers on one file each believe they own the jobs (the second's recovery
/// lapses the first's leases and a job runs twice), so the file is locked for the database's lifetime.
/// </summary>
/// <remarks>
/// The lock is an exclusive <c>FileShare.None</c> open of <c>DB.lock</c>, which .NET maps to
/// <c>flock(LOCK_EX)</c> on Unix: the kernel releases it when the holder exits, even by SIGKILL, so a
/// crashed server never leaves a stale lock behind. Because a locked file cannot be opened by another
/// process to read it, the holder describes itself in a second file, <c>DB.holder</c>.
/// </remarks>
internal sealed class DatabaseFileLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _holderPath;

    private DatabaseFileLock(FileStream fileLock, string holderPath)
    {
        _lock = fileLock;
        _holderPath = holderPath;
    }

    /// <summary>Takes the lock for <paramref name="databasePath"/>, or throws naming the process that holds it.</summary>
    public static DatabaseFileLock Acquire(string databasePath)
    {
        var lockPath = databasePath + ".lock";
        var holderPath = databasePath + ".holder";
        FileStream stream;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            stream = new FileStream(lockPath, options);
        }
        catch (IOException ex) when (File.Exists(lockPath))
        {
            throw new StorageUnavailableException(
                $"The database '{databasePath}' is in use by another OrbitMesh server ({DescribeHolder(holderPath)}). " +
                "One data directory is held by one server at a time: stop that server, or give this one another data directory.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StorageUnavailableException($"Cannot open the lock file '{lockPath}' for writing ({ex.Message}). The server needs a writable data directory.", ex);
        }

        try
        {
            // The program's name, not its command line: that may hold secrets (--api-key).
            var program = System.IO.Path.GetFileNameWithoutExtension(Environment.GetCommandLineArgs()[0]);
            var description = string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId} on {Environment.MachineName}, {program}, since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
            File.WriteAllText(holderPath, description);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The lock holds without the description; a refused second server then says "unknown holder".
        }

        return new DatabaseFileLock(stream, holderPath);
    }

    /// <summary>What the holder wrote about itself, or that it is unknown.</summary>
    private static string DescribeHolder(string holderPath)
    {
        try
        {
            var text = File.ReadAllText(holderPath).Trim();
            return text.Length > 0 ? text : "holder unknown";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "holder unknown";
        }
    }

    /// <summary>Releases the lock (the holder file stays; the next holder overwrites it).</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_holderPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        _lock.Dispose();
    }
}
