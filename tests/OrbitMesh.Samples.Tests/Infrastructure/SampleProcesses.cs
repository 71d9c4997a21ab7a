using System.Diagnostics;
using System.Security.Cryptography;
using OrbitMesh.Client;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.Infrastructure;

/// <summary>
/// The sample processes one test starts, all run as <c>dotnet &lt;Sample&gt;.dll ...</c> on 127.0.0.1 from
/// this test's output directory. Disposing it kills whatever still runs and writes every process's
/// output to the test's output.
/// </summary>
public sealed class SampleProcesses(ITestOutputHelper output) : IAsyncDisposable
{
    /// <summary>How long a process may take to start on a slow, shared machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly List<CliProcess> _processes = [];
    private readonly Lock _gate = new();
    private int _started;

    /// <summary>This test's own directory (databases, agent roots, packages); deleted at the end.</summary>
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("orbitmesh-samples-").FullName;

    /// <summary>A fresh agent token for this test.</summary>
    public string AgentToken { get; } = "samples-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>A fresh API key for this test's server.</summary>
    public string ApiKey { get; } = "samples-key-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>Starts <c>dotnet &lt;sample&gt;.dll &lt;arguments&gt;</c>.</summary>
    public CliProcess Start(string sample, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, sample + ".dll");
        var process = CliProcess.Start($"{sample}#{Interlocked.Increment(ref _started)}", dll, arguments, output, environment);
        lock (_gate)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>
    /// Starts a server sample on a free port and waits until ASP.NET Core prints that it listens; returns
    /// the process and its URL.
    /// </summary>
    public async Task<(CliProcess Process, Uri Url)> StartServerAsync(string sample, IEnumerable<string>? arguments = null, string? verb = null)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var server = Start(sample, [
            .. verb is null ? Array.Empty<string>() : [verb],
            "--urls", url.ToString().TrimEnd('/'),
            "--AgentToken", AgentToken,
            "--ApiKey", ApiKey,
            "--Database", Path.Combine(Directory, sample + ".db"),
            .. arguments ?? []]);
        await server.WaitForStdoutAsync(l => l.Contains("Now listening on: " + url.ToString().TrimEnd('/'), StringComparison.Ordinal), $"{sample} listens on {url}", StartTimeout);
        return (server, url);
    }

    /// <summary>A REST client for a server started by this test.</summary>
    public MeshHttpClient Client(Uri server) => new(server, ApiKey);

    /// <summary>Waits until every agent in <paramref name="ids"/> is Ready on the server.</summary>
    public static async Task WaitForAgentsAsync(MeshHttpClient mesh, IReadOnlyCollection<string> ids, TimeSpan? timeout = null)
    {
        await Wait.UntilAsync(
            async () =>
            {
                var agents = await mesh.GetAgentsAsync();
                return ids.All(id => agents.Any(a => a.Id == id && a.Status == AgentStatus.Ready));
            },
            $"agents {string.Join(", ", ids.Take(5))}{(ids.Count > 5 ? ", ..." : "")} ({ids.Count}) are Ready",
            timeout ?? StartTimeout,
            TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Runs a one-shot sample command to its end and returns the process.</summary>
    public async Task<CliProcess> RunAsync(string sample, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var process = Start(sample, arguments, environment);
        await process.WaitForExitAsync($"{sample} to finish", timeout);
        return process;
    }

    /// <summary>Times a test's main action for the report in the test output.</summary>
    public void Report(string what, Stopwatch watch) => output.WriteLine($"[measure] {what}: {watch.Elapsed.TotalMilliseconds:0} ms");

    public async ValueTask DisposeAsync()
    {
        List<CliProcess> processes;
        lock (_gate)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException ex)
        {
            output.WriteLine($"[test] could not delete {Directory}: {ex.Message}");
        }
    }
}
