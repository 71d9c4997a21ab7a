using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Infrastructure;

/// <summary>A server process, where it listens, and a client for its API.</summary>
public sealed record ServerProcess(CliProcess Process, int Port, Uri Url)
{
    public string UrlText => Url.ToString().TrimEnd('/');
}

/// <summary>
/// Every orbitmesh process one test starts: servers, agents and one-shot commands, all run as
/// <c>dotnet orbitmesh.dll ...</c> on 127.0.0.1. Disposing it kills whatever still runs (SIGKILL)
/// and writes every process's output to the test's output.
/// </summary>
public sealed partial class MeshProcesses(ITestOutputHelper output) : IAsyncDisposable
{
    /// <summary>How long a process may take to start and print its first line on a slow, shared machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly List<CliProcess> _processes = [];
    private readonly object _gate = new();
    private int _started;

    /// <summary>The CLI next to the tests (copied there by the project reference).</summary>
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "orbitmesh.dll");

    /// <summary>
    /// This test's data directory: every server it starts keeps its SQLite database here (so a restarted
    /// server finds what its predecessor stored, and tests never see each other's agents or jobs).
    /// </summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("orbitmesh-itest-").FullName;

    /// <summary>A fresh agent token for this test.</summary>
    public string Token { get; } = "itest-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>
    /// The API key of every server these tests start: the server API requires credentials, so servers get
    /// it with --api-key (and every process gets it as $ORBITMESH_API_KEY, which CLI clients send).
    /// </summary>
    public const string ApiKey = "itest-api-key-0001";

    /// <summary>The environment every process of this test gets (a test may add to it, e.g. $ORBITMESH_SERVER_FINGERPRINT).</summary>
    public Dictionary<string, string?> ClientEnvironment { get; } = new() { ["ORBITMESH_API_KEY"] = ApiKey };

    /// <summary>Starts <c>orbitmesh &lt;arguments&gt;</c>.</summary>
    public CliProcess Start(string name, params string[] arguments)
    {
        var process = CliProcess.Start($"{name}#{Interlocked.Increment(ref _started)}", CliDll, arguments, output, ClientEnvironment);
        lock (_gate)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>Runs a one-shot command and waits for it to exit.</summary>
    public async Task<CliProcess> RunAsync(string name, TimeSpan timeout, params string[] arguments)
    {
        var process = Start(name, arguments);
        await process.WaitForExitAsync($"'{name}' to finish", timeout);
        return process;
    }

    /// <summary>
    /// Starts <c>orbitmesh server</c> on 127.0.0.1:<paramref name="port"/> (0: a free port the server
    /// picks itself, read back from what it prints) with this test's token (unless <paramref name="withToken"/>
    /// is false) and the static API key (unless <paramref name="withApiKey"/> is false), and waits until it prints that it listens. When the port is briefly unavailable (a killed
    /// server's socket), starting is retried for a bounded time.
    /// </summary>
    public async Task<ServerProcess> StartServerAsync(int port = 0, IEnumerable<string>? extraArguments = null, bool withToken = true, bool https = false, bool withApiKey = true)
    {
        var scheme = https ? "https" : "http";
        var url = $"{scheme}://127.0.0.1:{port}";
        var extra = extraArguments?.ToList() ?? [];
        List<string> arguments = ["server", "--urls", url];
        if (withApiKey)
        {
            arguments.AddRange(["--api-key", ApiKey]);
        }

        if (https)
        {
            arguments.Add("--https");
        }

        if (!extra.Contains("--data"))
        {
            arguments.AddRange(["--data", DataDirectory]);
        }

        if (withToken)
        {
            arguments.AddRange(["--agent-token", Token]);
        }

        arguments.AddRange(extra);

        const int MaxAttempts = 20;
        var retryFor = TimeSpan.FromSeconds(15);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var server = Start("server", [.. arguments]);
            try
            {
                await Wait.UntilAsync(
                    () => server.HasExited || server.StdoutLines.Any(IsListeningLine),
                    $"{server.Name} listens on {url} or exits",
                    StartTimeout);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}\n{server.Describe()}", ex);
            }

            if (server.StdoutLines.FirstOrDefault(IsListeningLine) is { } line)
            {
                var listening = ListeningUrl().Match(line);
                Assert.True(listening.Success, $"No 127.0.0.1 URL in '{line}'.");
                var actualPort = int.Parse(listening.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(port == 0 || actualPort == port, $"The server listens on {actualPort}, not {port}.");
                return new ServerProcess(server, actualPort, new Uri($"{scheme}://127.0.0.1:{actualPort}/"));
            }

            var portBusy = server.StderrLines.Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase));
            if (!portBusy || attempt >= MaxAttempts || watch.Elapsed > retryFor)
            {
                throw new InvalidOperationException(
                    $"The server did not start on {url} (attempt {attempt}, {watch.Elapsed.TotalSeconds:0.0} s).\n{server.Describe()}");
            }

            output.WriteLine($"[test] {url} is still in use (attempt {attempt}); starting the server again.");
            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt)); // Back-off between bind attempts, not synchronisation.
        }
    }

    /// <summary>
    /// Starts <c>orbitmesh agent</c> against <paramref name="server"/> with this test's token (or
    /// <paramref name="token"/>), and, unless <paramref name="waitUntilConnected"/> is false, waits until
    /// it prints that it connected.
    /// </summary>
    public async Task<CliProcess> StartAgentAsync(
        Uri server,
        string id,
        IEnumerable<string>? capabilities = null,
        IEnumerable<string>? groups = null,
        string? token = null,
        bool waitUntilConnected = true,
        IEnumerable<string>? extraArguments = null)
    {
        List<string> arguments = ["agent", "--server", server.ToString().TrimEnd('/'), "--token", token ?? Token, "--id", id];
        foreach (var capability in capabilities ?? [])
        {
            arguments.AddRange(["--capability", capability]);
        }

        foreach (var group in groups ?? [])
        {
            arguments.AddRange(["--group", group]);
        }

        arguments.AddRange(extraArguments ?? []);
        var agent = Start($"agent-{id}", [.. arguments]);
        if (waitUntilConnected)
        {
            await WaitUntilConnectedAsync(agent, id);
        }

        return agent;
    }

    /// <summary>Waits until an agent process prints <c>Agent &lt;id&gt; connected to ...</c>.</summary>
    public static Task<string> WaitUntilConnectedAsync(CliProcess agent, string id) =>
        agent.WaitForStdoutAsync(l => l.StartsWith($"Agent {id} connected to ", StringComparison.Ordinal), $"agent {id} connects", StartTimeout);

    /// <summary>Every process's state and output, for failure messages.</summary>
    public string DescribeAll()
    {
        lock (_gate)
        {
            return string.Join('\n', _processes.Select(p => p.Describe()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<CliProcess> processes;
        lock (_gate)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        // Kill everything still running at once (SIGKILL) and wait until each is gone.
        await Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException ex)
        {
            output.WriteLine($"[test] could not delete {DataDirectory}: {ex.Message}");
        }
    }

    private static bool IsListeningLine(string line) =>
        line.StartsWith("OrbitMesh server ", StringComparison.Ordinal) && line.Contains(" listening on ", StringComparison.Ordinal);

    [GeneratedRegex(@" listening on https?://127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningUrl();
}
