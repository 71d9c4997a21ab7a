namespace OrbitMesh.Grid.Tests;

/// <summary>A temporary directory for one test, removed afterwards, with helpers to fill it.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        // Resolved, so that paths compare equal to what the jail returns (the temp directory may be behind a link).
        Root = Agent.Security.PathAllowList.Resolve(Directory.CreateTempSubdirectory("orbitmesh-grid-").FullName);
    }

    public string Root { get; }

    public string this[string relative] => Path.Combine(Root, relative);

    public string Dir(string relative)
    {
        var path = this[relative];
        Directory.CreateDirectory(path);
        return path;
    }

    public string File(string relative, string content) => File(relative, System.Text.Encoding.UTF8.GetBytes(content));

    public string File(string relative, byte[] content)
    {
        var path = this[relative];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Deterministic pseudo-random bytes.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
