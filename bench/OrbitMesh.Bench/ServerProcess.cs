using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace OrbitMesh.Bench;

/// <summary>The bench server running in its own process (this executable with <c>--role server</c>).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private readonly bool _keepData;

    private ServerProcess(Process process, int port, string? data, bool keepData)
    {
        _keepData = keepData;
        _process = process;
        Port = port;
        DataDirectory = data;
        Url = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public int Port { get; }

    public Uri Url { get; }

    public string? DataDirectory { get; }

    public int ProcessId => _process.Id;

    public static async Task<ServerProcess> StartAsync(string storage, int heartbeatMs = 5000, int? port = null, string? data = null, int handshakeBudget = 128, bool keepData = false)
    {
        var chosenPort = port ?? FreePort();
        if (storage == "sqlite" && data is null)
        {
            data = Path.Combine(Path.GetTempPath(), "orbitmesh-bench-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(data);
        }

        var self = typeof(ServerProcess).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { self, "--role", "server", "--port", chosenPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--storage", storage, "--heartbeat-ms", heartbeatMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--handshake-budget", handshakeBudget.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        if (data is not null)
        {
            info.ArgumentList.Add("--data");
            info.ArgumentList.Add(data);
        }

        info.Environment["DOTNET_gcServer"] = "1";
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("READY", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 })
            {
                Console.Error.WriteLine("  [server] " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return new ServerProcess(process, chosenPort, data, keepData);
    }

    /// <summary>The server process's resident memory.</summary>
    public long RssBytes() => ResidentMemory.Bytes(_process.Id);

    public async Task<JsonElement> StatsAsync() => await _http.GetFromJsonAsync<JsonElement>("/bench/stats");

    public async Task<int> ConnectedAgentsAsync() => (await StatsAsync()).GetProperty("connected").GetInt32();

    public async Task<long> DatabaseBytesAsync() =>
        (await _http.GetFromJsonAsync<JsonElement>("/bench/dbsize")).GetProperty("bytes").GetInt64();

    public async Task<JsonElement> RunRetentionAsync()
    {
        using var response = await _http.PostAsync("/bench/retention", null);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public HttpClient Http => _http;

    /// <summary>Ends the process at once, like a crash.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        _http.Dispose();
        if (DataDirectory is not null && !_keepData)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return ValueTask.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A process's resident memory (VmRSS), from /proc.</summary>
internal static class ResidentMemory
{
    public static long Bytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}

internal static class HttpJson
{
    public static async Task<T> GetFromJsonAsync<T>(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    public static async Task<T?> ReadFromJsonAsync<T>(this HttpContent content) =>
        await JsonSerializer.DeserializeAsync<T>(await content.ReadAsStreamAsync(), OrbitMeshJson.Options);
}
