using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Agent;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;
using OrbitMesh.Wasm;
using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Bench;

internal static partial class Scenarios
{
    /// <summary>Returns its parameters unchanged: the trivial module.</summary>
    private const string EchoWat = """
        (module
          (import "orbitmesh" "input_read" (func $input_read (param i32 i32) (result i32)))
          (import "orbitmesh" "result" (func $result (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "run")
            (local $n i32)
            (local.set $n (call $input_read (i32.const 0) (i32.const 65536)))
            (call $result (i32.const 0) (local.get $n))))
        """;

    /// <summary>The sum of (i * i) % 7 for i below the number in its input; the same function as <see cref="SumOfSquaresMod"/>.</summary>
    private const string SumWat = """
        (module
          (import "orbitmesh" "input_read" (func $input_read (param i32 i32) (result i32)))
          (import "orbitmesh" "result" (func $result (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "run")
            (local $len i32) (local $i i32) (local $c i32) (local $n i64) (local $k i64) (local $sum i64) (local $p i32)
            (local.set $len (call $input_read (i32.const 0) (i32.const 1000)))
            (block $parsed
              (loop $digit
                (br_if $parsed (i32.ge_u (local.get $i) (local.get $len)))
                (local.set $c (i32.load8_u (local.get $i)))
                (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
                  (then (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $digit)))
            (block $done
              (loop $next
                (br_if $done (i64.ge_u (local.get $k) (local.get $n)))
                (local.set $sum (i64.add (local.get $sum) (i64.rem_u (i64.mul (local.get $k) (local.get $k)) (i64.const 7))))
                (local.set $k (i64.add (local.get $k) (i64.const 1)))
                (br $next)))
            (local.set $p (i32.const 2048))
            (loop $out
              (local.set $p (i32.sub (local.get $p) (i32.const 1)))
              (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $sum) (i64.const 10))))
              (local.set $sum (i64.div_u (local.get $sum) (i64.const 10)))
              (br_if $out (i64.ne (local.get $sum) (i64.const 0))))
            (call $result (local.get $p) (i32.sub (i32.const 2048) (local.get $p)))))
        """;

    private const long CpuBoundN = 100_000_000;

    /// <summary>
    /// WebAssembly handlers: cold start (resolve + download from the server + SHA-256 + compile + first
    /// run) with a fresh runtime each time; warm invocation of a trivial module vs the built-in echo
    /// handler, both in process (handler call only) and end to end (caller → server → agent → back);
    /// a CPU-bound module vs the same function in C#.
    /// </summary>
    public static async Task<Dictionary<string, double>> WasmAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double>();
        await using var server = await ServerProcess.StartAsync("memory");
        using var http = new HttpClient { BaseAddress = server.Url };
        foreach (var (name, wat) in new[] { ("echo", EchoWat), ("sum", SumWat) })
        {
            using var content = new ByteArrayContent(WatCompiler.ToBinary(wat));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
            using var upload = await http.PostAsync($"/api/modules/{name}?version=1", content);
            upload.EnsureSuccessStatusCode();
        }

        var source = new HttpWasmModuleSource(http, server.Url, _ => Task.FromResult(BenchServer.Token));
        await using var services = new ServiceCollection().BuildServiceProvider();
        var parameters = JsonDocument.Parse("""{"value":"x"}""").RootElement.Clone();
        var echoCommand = new MeshCommand("wasm:echo@1", parameters, services);

        // Cold start: each round a new runtime (engine) that has never seen the module.
        var engineStart = new List<double>();
        var cold = new List<double>();
        for (var round = 0; round < 20; round++)
        {
            var watch = Stopwatch.StartNew();
            using var fresh = new WasmRuntime(source, new WasmOptions());
            engineStart.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await fresh.Handler.ExecuteAsync(echoCommand, CancellationToken.None);
            cold.Add(watch.Elapsed.TotalMilliseconds);
        }

        metrics["engine_start_ms_p50"] = Median(engineStart);
        metrics["cold_start_ms_p50"] = Median(cold);
        metrics["cold_start_ms_max"] = cold.Max();

        // Warm, in process: the handler call alone, one at a time.
        using var runtime = new WasmRuntime(source, new WasmOptions());
        await runtime.Handler.ExecuteAsync(echoCommand, CancellationToken.None);
        var builtIn = new MeshCommand("echo", parameters, services);
        Func<MeshCommand, CancellationToken, Task<object?>> echo = (c, _) => Task.FromResult<object?>(c.Parameters);
        var (wasmOps, wasmLatency) = await Latency.MeasureAsync(1, settings.Warmup, settings.Duration, _ => runtime.Handler.ExecuteAsync(echoCommand, CancellationToken.None));
        var (builtInOps, builtInLatency) = await Latency.MeasureAsync(1, settings.Warmup, settings.Duration, _ => echo(builtIn, CancellationToken.None));
        metrics["warm_handler_ops_per_second"] = wasmOps;
        metrics["warm_handler_p50_us"] = wasmLatency.PercentileMs(50) * 1000;
        metrics["warm_handler_p99_us"] = wasmLatency.PercentileMs(99) * 1000;
        metrics["warm_handler_baseline_ops_per_second"] = builtInOps;
        metrics["warm_handler_baseline_p50_us"] = builtInLatency.PercentileMs(50) * 1000;
        metrics["warm_handler_overhead_p50_us"] = (wasmLatency.PercentileMs(50) - builtInLatency.PercentileMs(50)) * 1000;

        // Warm, end to end: an agent with both handlers; the caller invokes through the server.
        using var agentRuntimeHttp = new HttpClient();
        var agentSource = new HttpWasmModuleSource(agentRuntimeHttp, server.Url, _ => Task.FromResult(BenchServer.Token));
        await using var agent = new MeshAgentBuilder()
            .WithServer(server.Url).WithToken(BenchServer.Token).WithId("bench-wasm-agent").WithMaxConcurrentJobs(128)
            .WithLoggerFactory(NullLoggerFactory.Instance)
            .RegisterHandler("echo", c => c.Parameters)
            .AddWasmHandlers(agentSource, new WasmOptions(), out var agentRuntime)
            .Build();
        using var agentWasm = agentRuntime;
        await agent.ConnectAsync();
        await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() >= 1, TimeSpan.FromSeconds(30));
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();
        await caller.InvokeAsync<JsonElement>("InvokeCommand", agent.Id, "wasm:echo@1");
        var (meshWasm, meshWasmLatency) = await Latency.MeasureAsync(1, settings.Warmup, settings.Duration,
            _ => caller.InvokeAsync<JsonElement>("InvokeCommand", agent.Id, "wasm:echo@1"));
        var (meshEcho, meshEchoLatency) = await Latency.MeasureAsync(1, settings.Warmup, settings.Duration,
            _ => caller.InvokeAsync<JsonElement>("InvokeCommand", agent.Id, "echo"));
        metrics["invoke_ops_per_second"] = meshWasm;
        metrics["invoke_p50_ms"] = meshWasmLatency.PercentileMs(50);
        metrics["invoke_baseline_ops_per_second"] = meshEcho;
        metrics["invoke_baseline_p50_ms"] = meshEchoLatency.PercentileMs(50);
        metrics["invoke_ratio_to_baseline"] = meshWasm / meshEcho;

        // CPU-bound: the same loop as a module (fuel metering on, as agents run it) and in C#.
        var sumCommand = new MeshCommand("wasm:sum@1", JsonDocument.Parse(CpuBoundN.ToString(System.Globalization.CultureInfo.InvariantCulture)).RootElement.Clone(), services);
        var wasmResult = await runtime.Handler.ExecuteAsync(sumCommand, CancellationToken.None);
        var expected = SumOfSquaresMod(CpuBoundN);
        if (((JsonElement)wasmResult!).GetInt64() != expected)
        {
            throw new InvalidOperationException($"The module computed {wasmResult}, C# {expected}.");
        }

        var wasmTimes = new List<double>();
        var csharpTimes = new List<double>();
        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            await runtime.Handler.ExecuteAsync(sumCommand, CancellationToken.None);
            wasmTimes.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            GC.KeepAlive(SumOfSquaresMod(CpuBoundN));
            csharpTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        metrics["cpu_iterations"] = CpuBoundN;
        metrics["cpu_wasm_ms_p50"] = Median(wasmTimes);
        metrics["cpu_csharp_ms_p50"] = Median(csharpTimes);
        metrics["cpu_throughput_ratio_wasm_to_csharp"] = Median(csharpTimes) / Median(wasmTimes);
        return metrics;
    }

    private static long SumOfSquaresMod(long n)
    {
        ulong sum = 0;
        for (ulong i = 0; i < (ulong)n; i++)
        {
            sum += i * i % 7;
        }

        return (long)sum;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
