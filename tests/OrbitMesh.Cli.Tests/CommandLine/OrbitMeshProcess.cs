using System.Diagnostics;

namespace OrbitMesh.Cli.Tests.CommandLine;

/// <summary>
/// Runs the real <c>orbitmesh</c> command (the built orbitmesh.dll next to the tests) as a child process,
/// with none of the ORBITMESH_* environment variables, and captures its output. Each process gets a
/// credentials file of its own (so no saved login leaks between commands or from the user running the
/// tests), unless the caller passes <c>ORBITMESH_CREDENTIALS</c> to share one.
/// </summary>
internal sealed class OrbitMeshProcess : IAsyncDisposable
{
    private static readonly string[] InheritedSettings = ["ORBITMESH_SERVER", "ORBITMESH_TOKEN", "ORBITMESH_API_KEY", "ORBITMESH_AGENT_TOKEN", "ORBITMESH_ACCESS_TOKEN", "ORBITMESH_CREDENTIALS"];

    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly object _gate = new();
    private readonly System.Text.StringBuilder _liveStdout = new();
    private readonly System.Text.StringBuilder _liveStderr = new();

    private readonly string? _ownCredentials;

    private OrbitMeshProcess(Process process, string? ownCredentials)
    {
        _process = process;
        _ownCredentials = ownCredentials;
        _stdout = ReadAsync(process.StandardOutput, _liveStdout);
        _stderr = ReadAsync(process.StandardError, _liveStderr);
    }

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "orbitmesh.dll");

    public int Id => _process.Id;

    /// <summary>What the process has written to stdout so far.</summary>
    public string StdoutSoFar
    {
        get
        {
            lock (_gate)
            {
                return _liveStdout.ToString();
            }
        }
    }

    public static OrbitMeshProcess Start(params string[] args) => StartWithInput(null, args);

    /// <summary>Starts the command with <paramref name="stdin"/> as its standard input (then end of file).</summary>
    public static OrbitMeshProcess StartWithInput(string? stdin, params string[] args) => StartWith(null, stdin, args);

    /// <summary>Starts the command with extra environment variables (e.g. a shared ORBITMESH_CREDENTIALS) and optional stdin.</summary>
    public static OrbitMeshProcess StartWith(IReadOnlyDictionary<string, string>? environment, string? stdin, params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in InheritedSettings)
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        string? ownCredentials = null;
        if (environment?.ContainsKey("ORBITMESH_CREDENTIALS") != true)
        {
            // A directory that does not exist yet: removed with the process.
            ownCredentials = Path.Combine(Path.GetTempPath(), "orbitmesh-cli-test-" + Guid.NewGuid().ToString("N"));
            info.Environment["ORBITMESH_CREDENTIALS"] = Path.Combine(ownCredentials, "credentials.json");
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet.");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return new OrbitMeshProcess(process, ownCredentials);
    }

    /// <summary>Runs the command to completion.</summary>
    public static async Task<Result> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        return await process.WaitAsync();
    }

    /// <summary>Runs the command to completion with extra environment variables and optional stdin.</summary>
    public static async Task<Result> RunWithAsync(IReadOnlyDictionary<string, string> environment, string? stdin, params string[] args)
    {
        await using var process = StartWith(environment, stdin, args);
        return await process.WaitAsync();
    }

    /// <summary>Runs the command to completion with <paramref name="stdin"/> as its standard input.</summary>
    public static async Task<Result> RunWithInputAsync(string stdin, params string[] args)
    {
        await using var process = StartWithInput(stdin, args);
        return await process.WaitAsync();
    }

    public async Task<Result> WaitAsync(TimeSpan? timeout = null)
    {
        try
        {
            await Wait.ForAsync(_process.WaitForExitAsync(), $"orbitmesh {string.Join(' ', _process.StartInfo.ArgumentList.Skip(1))} to exit", timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException ex)
        {
            string output;
            lock (_gate)
            {
                output = $"stdout:\n{_liveStdout}\nstderr:\n{_liveStderr}";
            }

            throw new TimeoutException($"{ex.Message}\n{output}", ex);
        }

        return new Result(_process.ExitCode, await _stdout, await _stderr);
    }

    /// <summary>Asks the process to stop as a service manager (TERM) or Ctrl+C (INT) would.</summary>
    public async Task SignalAsync(string signal = "TERM")
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_ownCredentials is not null && Directory.Exists(_ownCredentials))
        {
            Directory.Delete(_ownCredentials, recursive: true);
        }
    }

    private async Task<string> ReadAsync(StreamReader reader, System.Text.StringBuilder live)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (_gate)
            {
                live.Append(buffer, 0, read);
            }
        }

        lock (_gate)
        {
            return live.ToString();
        }
    }

    internal sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
