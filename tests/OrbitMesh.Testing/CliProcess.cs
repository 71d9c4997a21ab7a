using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace OrbitMesh.Testing;

/// <summary>
/// A real child process running a .NET app (<c>dotnet &lt;app.dll&gt; ...</c>) with stdout and stderr
/// captured line by line into thread-safe buffers, no console input, and telemetry off. Waits on its
/// output or its exit, never on time. <see cref="DisposeAsync"/> kills the whole process tree (SIGKILL)
/// if it is still running, so no process outlives the test that started it; a last-resort hook kills
/// whatever is left when the test process exits.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<CliProcess, byte> Live = new();
    private static int _exitHookInstalled;

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<OutputLine> _lines = [];
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ITestOutputHelper? _output;
    private int _disposed;

    private CliProcess(string name, Process process, ITestOutputHelper? output)
    {
        Name = name;
        _process = process;
        _output = output;
    }

    /// <summary>A short name for messages (for example <c>server#1</c>).</summary>
    public string Name { get; }

    /// <summary>The operating-system process id.</summary>
    public int Pid { get; private set; }

    /// <summary>True once the process exited and all of its output was read.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int? ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : null;

    /// <summary>Completes with the exit code once the process exited and all of its output was read.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The stdout lines so far.</summary>
    public IReadOnlyList<string> StdoutLines => Lines(isError: false);

    /// <summary>The stderr lines so far.</summary>
    public IReadOnlyList<string> StderrLines => Lines(isError: true);

    /// <summary>Stdout so far, one line per line.</summary>
    public string Stdout => string.Join('\n', StdoutLines);

    /// <summary>Stderr so far, one line per line.</summary>
    public string Stderr => string.Join('\n', StderrLines);

    /// <summary>
    /// The <c>dotnet</c> host to run apps with: the one running the tests (<c>DOTNET_HOST_PATH</c> or this
    /// process), else <c>$DOTNET_ROOT/dotnet</c>, else <c>dotnet</c> from PATH.
    /// </summary>
    public static string DotnetHost
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            {
                return hostPath;
            }

            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }

            if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")))
            {
                return Path.Combine(root, "dotnet");
            }

            return "dotnet";
        }
    }

    /// <summary>
    /// Starts <c>dotnet <paramref name="appDll"/> <paramref name="arguments"/></c> in the app's directory
    /// (see <see cref="StartProgram"/> for the environment it gets).
    /// </summary>
    public static CliProcess Start(
        string name,
        string appDll,
        IEnumerable<string> arguments,
        ITestOutputHelper? output = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        if (!File.Exists(appDll))
        {
            throw new FileNotFoundException($"The app to run is not there: {appDll}.", appDll);
        }

        return StartProgram(name, DotnetHost, [appDll, .. arguments], Path.GetDirectoryName(appDll)!, output, environment);
    }

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="arguments"/>. <c>ORBITMESH_*</c> and proxy
    /// variables are not inherited (a developer's settings must not change what a test runs); add
    /// variables with <paramref name="environment"/> (a null value removes one).
    /// </summary>
    public static CliProcess StartProgram(
        string name,
        string program,
        IEnumerable<string> arguments,
        string workingDirectory,
        ITestOutputHelper? output = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ORBITMESH_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        // Loopback traffic only: never through a proxy a developer's environment may name.
        foreach (var key in info.Environment.Keys.Where(k => k.EndsWith("_proxy", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "0";
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        var process = new Process { StartInfo = info };
        var cli = new CliProcess(name, process, output);
        process.OutputDataReceived += (_, e) => cli.Append(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => cli.Append(e.Data, isError: true);

        InstallExitHook();
        Live.TryAdd(cli, 0);
        try
        {
            process.Start();
        }
        catch
        {
            Live.TryRemove(cli, out _);
            process.Dispose();
            throw;
        }

        cli.Pid = process.Id;
        process.StandardInput.Close(); // No console input: a read sees end of file at once.
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = cli.ObserveExitAsync(); // After the reads began, so that the exit is reported only once all output is in.
        cli.Log($"started: {program} {string.Join(' ', info.ArgumentList.Select(Quote))}");
        return cli;
    }

    /// <summary>Waits until a stdout line matches; returns it. Fails at once if the process exits first.</summary>
    public Task<string> WaitForStdoutAsync(Func<string, bool> match, string because, TimeSpan? timeout = null) =>
        WaitForLineAsync(isError: false, match, because, timeout);

    /// <summary>Waits until a stderr line matches; returns it. Fails at once if the process exits first.</summary>
    public Task<string> WaitForStderrAsync(Func<string, bool> match, string because, TimeSpan? timeout = null) =>
        WaitForLineAsync(isError: true, match, because, timeout);

    /// <summary>Waits for the process to exit (and its output to be read); returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(string because, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Wait.DefaultTimeout;
        try
        {
            return await _exited.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {because}: {Name} is still running.\n{Describe()}");
        }
    }

    /// <summary>Kills the process and all its children with SIGKILL, and waits until it is gone.</summary>
    public async Task KillAsync(TimeSpan? timeout = null)
    {
        if (!HasExited)
        {
            Log("sending SIGKILL to the process tree");
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in between.
            }
        }

        await WaitForExitAsync("the killed process to exit", timeout ?? TimeSpan.FromSeconds(15));
    }

    /// <summary>Sends a signal by name (for example <c>TERM</c>) with <c>kill -s</c>.</summary>
    public async Task SignalAsync(string signal)
    {
        Log($"sending SIG{signal}");
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not run kill.");
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (kill.ExitCode != 0 && !HasExited)
        {
            throw new InvalidOperationException($"kill -s {signal} {Pid} failed with exit code {kill.ExitCode}.");
        }
    }

    /// <summary>The process's name, state and output, for failure messages.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append("--- ").Append(Name).Append(" (pid ").Append(Pid).Append(", ")
            .Append(HasExited ? $"exited with {ExitCode}" : "running").Append(")\n");
        lock (_gate)
        {
            foreach (var line in _lines)
            {
                text.Append(line.Elapsed.TotalSeconds.ToString("000.000", System.Globalization.CultureInfo.InvariantCulture))
                    .Append(line.Kind switch { LineKind.Stderr => " err| ", LineKind.Stdout => " out| ", _ => " --- " })
                    .Append(line.Text).Append('\n');
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!HasExited)
            {
                await KillAsync();
            }
        }
        finally
        {
            Live.TryRemove(this, out _);
            WriteToTestOutput(Describe());
            _process.Dispose();
        }
    }

    private IReadOnlyList<string> Lines(bool isError)
    {
        lock (_gate)
        {
            var kind = isError ? LineKind.Stderr : LineKind.Stdout;
            return _lines.Where(l => l.Kind == kind).Select(l => l.Text).ToList();
        }
    }

    private async Task<string> WaitForLineAsync(bool isError, Func<string, bool> match, string because, TimeSpan? timeout)
    {
        string? found = null;
        try
        {
            await Wait.UntilAsync(
                () =>
                {
                    found = Lines(isError).FirstOrDefault(match);
                    if (found is null && HasExited)
                    {
                        // Exited means all of its output is in: look once more, then give up.
                        found = Lines(isError).FirstOrDefault(match);
                    }

                    if (found is null && HasExited)
                    {
                        throw new InvalidOperationException($"{Name} exited with {ExitCode} before {because}.\n{Describe()}");
                    }

                    return found is not null;
                },
                because,
                timeout);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{Describe()}", ex);
        }

        return found!;
    }

    private void Append(string? text, bool isError)
    {
        if (text is null)
        {
            return; // End of the stream.
        }

        lock (_gate)
        {
            _lines.Add(new OutputLine(_clock.Elapsed, isError ? LineKind.Stderr : LineKind.Stdout, text));
        }
    }

    private async Task ObserveExitAsync()
    {
        try
        {
            // This wait also waits until both redirected streams reached end of file.
            await _process.WaitForExitAsync();
            _exited.TrySetResult(_process.ExitCode);
        }
        catch (Exception ex)
        {
            _exited.TrySetException(ex);
        }
    }

    private void Log(string message)
    {
        lock (_gate)
        {
            _lines.Add(new OutputLine(_clock.Elapsed, LineKind.Note, message));
        }
    }

    private void WriteToTestOutput(string text)
    {
        try
        {
            _output?.WriteLine(text);
        }
        catch (InvalidOperationException)
        {
            // The test already finished; its output is closed.
        }
    }

    private static string Quote(string argument) => argument.Contains(' ', StringComparison.Ordinal) ? $"\"{argument}\"" : argument;

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var cli in Live.Keys)
            {
                try
                {
                    cli._process.Kill(entireProcessTree: true);
                }
                catch (Exception)
                {
                    // Best effort: the test process is exiting.
                }
            }
        };
    }

    private enum LineKind
    {
        Stdout,
        Stderr,
        Note,
    }

    private sealed record OutputLine(TimeSpan Elapsed, LineKind Kind, string Text);
}
