using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Modules;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;
using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Wasm.Tests.EndToEnd;

/// <summary>
/// The whole path on 127.0.0.1: a module uploaded over REST, a job <c>wasm:NAME@VERSION</c> submitted to
/// the server, dispatched to an agent that advertises <c>wasm:*</c>, which downloads the module over
/// HTTP, checks its digest, compiles it once and runs it under its limits.
/// </summary>
public sealed class WasmJobsTests : IAsyncLifetime
{
    private readonly TamperingModuleStore _store = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("orbitmesh-wasm-e2e-").FullName;
    private TestMeshServer _server = null!;
    private MeshAgent _agent = null!;
    private WasmRuntime _runtime = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<IModuleStore>(_store)));
        _http = new HttpClient { BaseAddress = _server.Url };
        var source = new HttpWasmModuleSource(_http, _server.Url, _ => Task.FromResult(TestMeshServer.AgentToken));
        var allowed = Directory.CreateDirectory(Path.Combine(_directory, "allowed")).FullName;
        var options = new WasmOptions { MaxFuel = 200_000_000, Files = new PathAllowList([allowed]), CacheDirectory = Path.Combine(_directory, "cache") };
        _agent = _server.NewAgent("wasm-agent").WithMaxConcurrentJobs(4).AddWasmHandlers(source, options, out _runtime).Build();
        await _agent.ConnectAsync();
        await _server.WaitForAgentAsync("wasm-agent", AgentStatus.Ready);
    }

    private async Task<WasmModuleInfo> UploadAsync(string name, string version, string wat)
    {
        using var content = new ByteArrayContent(WatCompiler.ToBinary(wat));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
        using var response = await _http.PostAsync($"/api/modules/{name}?version={version}", content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options))!;
    }

    private Task<JobResult> RunAsync(string command, string? parameters = null, ExecutionPattern pattern = ExecutionPattern.RequestResponse) =>
        Wait.ForAsync(_server.Mesh.ExecuteAsync(new JobRequest
        {
            Command = command,
            Parameters = parameters is null ? null : JsonDocument.Parse(parameters).RootElement.Clone(),
            Pattern = pattern,
            Timeout = TimeSpan.FromSeconds(30),
        }), "the job " + command);

    [Fact]
    public async Task Job_UploadedModule_RunsOnTheAgentAndDownloadsOnce()
    {
        await UploadAsync("square", "1", WatModules.Square);

        var first = await RunAsync("wasm:square@1", "12");
        var second = await RunAsync("wasm:square", "3");

        Assert.True(first.IsSuccess, first.Error?.ToString());
        Assert.Equal(144, first.Result!.Value.GetInt32());
        Assert.True(second.IsSuccess, second.Error?.ToString());
        Assert.Equal(9, second.Result!.Value.GetInt32());
        Assert.Equal(1, _runtime.Downloads);
        Assert.Equal(1, _runtime.CompiledModules);
    }

    [Fact]
    public async Task Job_StreamingModule_StreamsItsItems()
    {
        await UploadAsync("counter", "1", WatModules.Stream);

        var items = new List<string>();
        await foreach (var item in _server.Mesh.StreamAsync<JsonElement>(new JobRequest { Command = "wasm:counter@1", Pattern = ExecutionPattern.Streaming, Timeout = TimeSpan.FromSeconds(30) }))
        {
            items.Add(item.GetRawText());
        }

        Assert.Equal(["1", "2", "3", "\"done\""], items);
    }

    [Fact]
    public async Task Job_InfiniteLoop_FailsAtItsLimitWhileTheAgentServesOtherJobs()
    {
        await UploadAsync("loop", "1", WatModules.InfiniteLoop);
        await UploadAsync("square", "1", WatModules.Square);

        var loop = RunAsync("wasm:loop@1");
        var square = await RunAsync("wasm:square@1", "5");
        var stopped = await loop;
        var after = await RunAsync("wasm:square@1", "6");

        Assert.Equal(25, square.Result!.Value.GetInt32());
        Assert.False(stopped.IsSuccess);
        Assert.Equal(WasmErrorCodes.OutOfFuel, stopped.Error!.Code);
        Assert.Equal(36, after.Result!.Value.GetInt32());
    }

    [Fact]
    public async Task Job_MemoryBomb_IsRefusedMemoryPastTheLimit()
    {
        await UploadAsync("bomb", "1", WatModules.MemoryBomb);

        var result = await RunAsync("wasm:bomb@1", """{"$wasm":{"maxMemoryBytes":2097152}}""");

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(32, result.Result!.Value.GetInt32());
    }

    [Fact]
    public async Task Job_ForbiddenFileRead_FailsNotAllowed()
    {
        await UploadAsync("reader", "1", WatModules.ReadFile);
        var outside = Path.Combine(_directory, "secret.json");
        await File.WriteAllTextAsync(outside, "{\"secret\":true}");

        var result = await RunAsync("wasm:reader@1", JsonSerializer.Serialize(outside));

        Assert.False(result.IsSuccess);
        Assert.Equal(MeshErrorCodes.NotAllowed, result.Error!.Code);
    }

    [Fact]
    public async Task Job_ModuleTamperedInTransit_FailsForDigestMismatch()
    {
        await UploadAsync("square", "1", WatModules.Square);
        _store.TamperWith("square");

        var result = await RunAsync("wasm:square@1", "2");

        Assert.False(result.IsSuccess);
        Assert.Equal(WasmErrorCodes.DigestMismatch, result.Error!.Code);
        Assert.Equal(0, _runtime.CompiledModules);
    }

    [Fact]
    public async Task Job_UnknownModule_FailsNotFound()
    {
        var result = await RunAsync("wasm:nothing@1");

        Assert.False(result.IsSuccess);
        Assert.Equal(WasmErrorCodes.ModuleNotFound, result.Error!.Code);
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        _runtime.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The server's store, but it can be told to serve other bytes for a module than the ones it announces (as a compromised mirror or a corrupted disk would).</summary>
    private sealed class TamperingModuleStore : IModuleStore
    {
        private readonly InMemoryModuleStore _inner = new();
        private readonly HashSet<string> _tampered = new(StringComparer.Ordinal);

        public void TamperWith(string name)
        {
            lock (_tampered)
            {
                _tampered.Add(name);
            }
        }

        public ValueTask<ModuleAddOutcome> AddAsync(WasmModuleInfo module, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
            _inner.AddAsync(module, content, cancellationToken);

        public ValueTask<WasmModuleInfo?> GetAsync(string name, string? version, CancellationToken cancellationToken = default) =>
            _inner.GetAsync(name, version, cancellationToken);

        public async ValueTask<byte[]?> GetContentAsync(string name, string version, CancellationToken cancellationToken = default)
        {
            var content = await _inner.GetContentAsync(name, version, cancellationToken);
            lock (_tampered)
            {
                if (content is not null && _tampered.Contains(name))
                {
                    content = [.. content];
                    content[^1] ^= 0x01;
                }
            }

            return content;
        }

        public ValueTask<IReadOnlyList<WasmModuleInfo>> ListAsync(CancellationToken cancellationToken = default) => _inner.ListAsync(cancellationToken);
    }
}
