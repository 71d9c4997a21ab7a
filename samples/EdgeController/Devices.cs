using System.Security.Cryptography;
using OrbitMesh.Agent;

namespace EdgeController;

/// <summary>
/// Edge device agents in a group. <c>firmware.update</c> streams the image from the URL it is given
/// (plain HTTP, never through hub messages), reports progress as it goes, checks the SHA-256, and only
/// then replaces ROOT/ID/firmware.bin and ROOT/ID/version.
/// </summary>
internal static class Devices
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var root = Path.GetFullPath(settings["Root"] ?? "devices");
        var ids = (settings["Ids"] ?? "cam-01,cam-02,cam-03").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var http = new HttpClient();
        var agents = ids.Select(id => new MeshAgentBuilder()
            .WithServer(server).WithToken(settings["AgentToken"] ?? "dev-agent-token").WithId(id).WithGroups(settings["Group"] ?? "cameras")
            .Configure(o => o.RetryInitialConnection = true)
            .RegisterHandler("firmware.update", (command, ct) => UpdateAsync(http, Directory.CreateDirectory(Path.Combine(root, id)).FullName, command, ct))
            .Build()).ToList();
        try
        {
            await Task.WhenAll(agents.Select(a => a.ConnectAsync(cancellationToken)));
            Console.WriteLine($"{agents.Count} devices connected to {server} ({root})");
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }

    private static async Task<object?> UpdateAsync(HttpClient http, string directory, MeshCommand command, CancellationToken cancellationToken)
    {
        var version = command.GetParameter<string>("version");
        var staged = Path.Combine(directory, "firmware.staged");
        using var response = await http.GetAsync(command.GetParameter<Uri>("url"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        var total = response.Content.Headers.ContentLength ?? -1;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var target = File.Create(staged))
        {
            var buffer = new byte[64 * 1024];
            long written = 0;
            int read;
            while ((read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                hash.AppendData(buffer, 0, read);
                written += read;
                await command.ReportProgressAsync(total > 0 ? 100.0 * written / total : null, $"{written} bytes", cancellationToken);
            }
        }

        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (sha256 != command.GetParameter<string>("sha256"))
        {
            File.Delete(staged);
            throw new MeshHandlerException("bad_image", $"the image's SHA-256 is {sha256}, not the expected one");
        }

        File.Move(staged, Path.Combine(directory, "firmware.bin"), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(directory, "version"), version, cancellationToken);
        return new { version, sha256 };
    }
}
