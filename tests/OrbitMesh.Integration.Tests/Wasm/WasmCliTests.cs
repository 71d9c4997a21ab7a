using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Wasm;

/// <summary>
/// Issue 20 with real processes: <c>orbitmesh modules push</c> uploads WebAssembly text to a server
/// process, an <c>orbitmesh agent --allow-wasm</c> process fetches, verifies and runs it as
/// <c>wasm:NAME@VERSION</c> jobs, stops a module at its fuel limit and keeps serving.
/// </summary>
public sealed class WasmCliTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private const string Echo = """
        (module
          (import "orbitmesh" "input_read" (func $input_read (param i32 i32) (result i32)))
          (import "orbitmesh" "result" (func $result (param i32 i32)))
          (memory (export "memory") 1)
          (func (export "run")
            (local $n i32)
            (local.set $n (call $input_read (i32.const 0) (i32.const 65536)))
            (call $result (i32.const 0) (local.get $n))))
        """;

    private const string Loop = """
        (module
          (memory (export "memory") 1)
          (func (export "run") (loop $forever (br $forever))))
        """;

    /// <summary>Reads /etc/passwd, which is outside the agent's allow-list.</summary>
    private const string ReadPasswd = """
        (module
          (import "orbitmesh" "file_read" (func $file_read (param i32 i32 i32 i32) (result i64)))
          (memory (export "memory") 1)
          (data (i32.const 0) "/etc/passwd")
          (func (export "run") (drop (call $file_read (i32.const 0) (i32.const 11) (i32.const 1024) (i32.const 4096)))))
        """;

    [Fact]
    public async Task PushedModulesRunOnAnAgentWithAllowWasm_LimitsAndCapabilitiesHold()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        var allowed = Directory.CreateDirectory(Path.Combine(mesh.DataDirectory, "allowed")).FullName;
        await mesh.StartAgentAsync(server.Url, "wasm-runner", extraArguments: ["--allow-wasm", "--allow-path", allowed, "--wasm-max-fuel", "50000000"]);
        foreach (var (name, wat) in new[] { ("echo", Echo), ("loop", Loop), ("passwd", ReadPasswd) })
        {
            var file = Path.Combine(mesh.DataDirectory, name + ".wat");
            await File.WriteAllTextAsync(file, wat);
            var pushed = await mesh.RunAsync("push-" + name, CommandTimeout, "modules", "push", name, file, "--version", "1", "--server", server.UrlText);
            Assert.True(pushed.ExitCode == 0, pushed.Describe());
            Assert.Contains($"Module {name}@1", pushed.Stdout, StringComparison.Ordinal);
        }

        var list = await mesh.RunAsync("list", CommandTimeout, "modules", "list", "--json", "--server", server.UrlText);
        Assert.True(list.ExitCode == 0, list.Describe());
        using (var modules = JsonDocument.Parse(list.Stdout))
        {
            Assert.Equal(3, modules.RootElement.GetArrayLength());
            Assert.All(modules.RootElement.EnumerateArray(), m => Assert.Equal(64, m.GetProperty("sha256").GetString()!.Length));
        }

        var echoed = await mesh.RunAsync("echo", CommandTimeout, "jobs", "submit", "wasm:echo@1", "--params-json", """{"hello":"world"}""", "--wait", "--json", "--server", server.UrlText);
        Assert.True(echoed.ExitCode == 0, echoed.Describe());
        using (var job = JsonDocument.Parse(echoed.Stdout))
        {
            Assert.Equal("world", job.RootElement.GetProperty("result").GetProperty("hello").GetString());
        }

        var looped = await mesh.RunAsync("loop", CommandTimeout, "jobs", "submit", "wasm:loop@1", "--wait", "--json", "--server", server.UrlText);
        Assert.NotEqual(0, looped.ExitCode);
        Assert.Contains("wasm_out_of_fuel", looped.Stdout, StringComparison.Ordinal);

        var denied = await mesh.RunAsync("passwd", CommandTimeout, "jobs", "submit", "wasm:passwd@1", "--wait", "--json", "--server", server.UrlText);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("not_allowed", denied.Stdout, StringComparison.Ordinal);

        var again = await mesh.RunAsync("echo-again", CommandTimeout, "jobs", "submit", "wasm:echo", "--params-json", """{"n":2}""", "--wait", "--json", "--server", server.UrlText);
        Assert.True(again.ExitCode == 0, again.Describe());
    }
}
