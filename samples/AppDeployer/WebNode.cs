using System.IO.Compression;
using System.Security.Cryptography;
using OrbitMesh.Agent;

namespace AppDeployer;

/// <summary>
/// One web node's application, kept in its root directory: <c>releases/VERSION/</c> (extracted packages),
/// <c>current</c> and <c>previous</c> (versions), <c>service</c> (running, stopped, or anything else when
/// it crashed) and <c>packages/</c> (downloads). Each method is one command of the deploy workflow.
/// </summary>
internal sealed class WebNode(string root, HttpClient http)
{
    private string Service => Path.Combine(root, "service");

    private string Current => Path.Combine(root, "current");

    private string Previous => Path.Combine(root, "previous");

    public MeshAgentBuilder Register(MeshAgentBuilder agent) => agent
        .RegisterHandler("app.health", _ => Health())
        .RegisterHandler("app.stop", _ => Stop())
        .RegisterHandler("app.start", _ => Start())
        .RegisterHandler("app.download", DownloadAsync)
        .RegisterHandler("app.discard", Discard)
        .RegisterHandler("app.install", Install)
        .RegisterHandler("app.restore", Restore)
        .RegisterHandler("app.verify", Verify);

    private object Health()
    {
        var state = Read(Service);
        // A fresh node (nothing installed yet) is healthy; an installed service must be running.
        return state is null or "running"
            ? new { healthy = true, version = Read(Current) }
            : throw new MeshHandlerException("unhealthy", $"the service is {state}, not running");
    }

    private object Stop()
    {
        File.WriteAllText(Service, "stopped");
        return new { stopped = Read(Current) };
    }

    private object Start()
    {
        if (Read(Current) is not { } version)
        {
            File.Delete(Service);
            return new { running = (string?)null };
        }

        File.WriteAllText(Service, "running");
        return new { running = version };
    }

    private async Task<object?> DownloadAsync(MeshCommand command, CancellationToken cancellationToken)
    {
        var url = command.GetParameter<Uri>("packageUrl");
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(root, "packages")).FullName, Path.GetFileName(url.LocalPath));
        using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
        {
            response.EnsureSuccessStatusCode();
            await using var file = File.Create(path);
            await response.Content.CopyToAsync(file, cancellationToken);
        }

        await using var written = File.OpenRead(path);
        return new { path, bytes = written.Length, sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(written, cancellationToken)) };
    }

    private object Discard(MeshCommand command)
    {
        File.Delete(command.GetParameter<string>("path"));
        return new { discarded = true };
    }

    private object Install(MeshCommand command)
    {
        var version = command.GetParameter<string>("version");
        var release = Path.Combine(root, "releases", version);
        if (Directory.Exists(release))
        {
            Directory.Delete(release, recursive: true);
        }

        ZipFile.ExtractToDirectory(command.GetParameter<string>("path"), release);
        if (Read(Current) is { } previous && previous != version)
        {
            File.WriteAllText(Previous, previous);
        }

        File.WriteAllText(Current, version);
        return new { version, previous = Read(Previous) };
    }

    private object Restore(MeshCommand command)
    {
        var installed = command.GetParameter<string>("installed");
        var previous = Read(Previous);
        if (previous is null)
        {
            File.Delete(Current);
        }
        else
        {
            File.WriteAllText(Current, previous);
            File.Delete(Previous);
        }

        Directory.Delete(Path.Combine(root, "releases", installed), recursive: true);
        return new { restored = previous };
    }

    private object Verify(MeshCommand command)
    {
        var version = command.GetParameter<string>("version");
        var shipped = Read(Path.Combine(root, "releases", version, "VERSION"));
        return Read(Service) == "running" && Read(Current) == version && shipped == version
            ? new { verified = version }
            : throw new MeshHandlerException("verify_failed", $"expected {version} running, found {Read(Current)} ({Read(Service)}), package says {shipped}");
    }

    private static string? Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : null;
}
