using System.Text.Json;

namespace OrbitMesh.Cli.Credentials;

/// <summary>
/// The CLI's saved logins, one per server, in a JSON file only its owner can read (0600, in a 0700
/// directory): <c>$ORBITMESH_CREDENTIALS</c>, else <c>credentials.json</c> in the user's configuration
/// directory under <c>orbitmesh/</c> (<c>$XDG_CONFIG_HOME</c> or <c>~/.config</c> on Linux). Writes go
/// to a temporary file renamed over the old one, so a crash never leaves half a file; changes are made
/// under an exclusive lock file, so two commands refreshing at once do not both rotate one refresh token
/// (the second would look like a stolen token to the server and end the login).
/// </summary>
internal sealed class LoginStore(string path)
{
    /// <summary>The variable naming the credentials file.</summary>
    public const string PathVariable = "ORBITMESH_CREDENTIALS";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path { get; } = path;

    /// <summary>The store at <c>$ORBITMESH_CREDENTIALS</c> or the default place.</summary>
    public static LoginStore Default() => new(Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } given
        ? System.IO.Path.GetFullPath(given)
        : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "orbitmesh", "credentials.json"));

    /// <summary>How a server is named in the file: its URL with a trailing slash, without query or fragment.</summary>
    public static string KeyOf(Uri server) => server.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";

    public SavedLogin? Get(Uri server) => ReadAll().GetValueOrDefault(KeyOf(server));

    /// <summary>Runs <paramref name="change"/> on the saved logins under the lock and writes what it leaves.</summary>
    public async Task<T> UpdateAsync<T>(Func<Dictionary<string, SavedLogin>, Task<T>> change, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(cancellationToken).ConfigureAwait(false);
        var logins = ReadAll();
        var before = JsonSerializer.Serialize(logins, Json);
        var result = await change(logins).ConfigureAwait(false);
        if (JsonSerializer.Serialize(logins, Json) != before)
        {
            Write(logins);
        }

        return result;
    }

    private Dictionary<string, SavedLogin> ReadAll()
    {
        if (!File.Exists(Path))
        {
            return new(StringComparer.Ordinal);
        }

        try
        {
            var file = JsonSerializer.Deserialize<CredentialsFile>(File.ReadAllText(Path), Json);
            return new(file?.Servers ?? [], StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new CliException($"The credentials file {Path} is not valid JSON ({ex.Message}); delete it and log in again.");
        }
    }

    private void Write(Dictionary<string, SavedLogin> logins)
    {
        var temporary = Path + "." + Environment.ProcessId + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, new CredentialsFile(logins), Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    /// <summary>An exclusive lock on <c>PATH.lock</c> (an advisory file lock, which .NET takes for <see cref="FileShare.None"/>), waited for up to 10 s.</summary>
    private async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        CreateDirectory();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(Path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another orbitmesh command holds it for the few milliseconds a refresh takes.
                await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new CliException($"Another orbitmesh command has held {Path}.lock for 10 s: {ex.Message}");
            }
        }
    }

    /// <summary>Creates the file's directory, when missing, readable by its owner only (an existing one is left as it is).</summary>
    private void CreateDirectory()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private sealed record CredentialsFile(Dictionary<string, SavedLogin> Servers);
}
