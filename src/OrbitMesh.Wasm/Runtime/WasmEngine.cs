using System.Collections.Concurrent;
using System.Text.Json;
using OrbitMesh.Agent;
using Wasmtime;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// One Wasmtime engine for the agent, with fuel metering and epoch interruption on: compiles each module
/// once (by digest), advances the epoch on a timer, and runs modules, each in its own store under the
/// job's limits. Modules share nothing: every run gets a fresh instance and memory.
/// </summary>
internal sealed class WasmEngine : IDisposable
{
    /// <summary>The export a module runs: <c>(func (export "run"))</c>.</summary>
    public const string EntryPoint = "run";

    private readonly WasmOptions _options;
    private readonly Engine _engine;
    private readonly Linker _linker;
    private readonly ITimer _epochTimer;
    private readonly ConcurrentDictionary<string, Lazy<Module>> _compiled = new(StringComparer.Ordinal);

    public WasmEngine(WasmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        using var config = new Config()
            .WithFuelConsumption(true)
            .WithEpochInterruption(true)
            .WithWasmThreads(false);
        _engine = new Engine(config);
        _linker = new Linker(_engine);
        WasmHostFunctions.Define(_linker, options);
        _epochTimer = options.TimeProvider.CreateTimer(static e => ((Engine)e!).IncrementEpoch(), _engine, options.EpochInterval, options.EpochInterval);
    }

    /// <summary>Modules compiled so far.</summary>
    public int CompiledCount => _compiled.Count;

    /// <summary>
    /// Compiles a module once per digest (later calls return the same compiled module). Throws
    /// <see cref="MeshHandlerException"/> with <see cref="WasmErrorCodes.InvalidModule"/> when it is not valid.
    /// </summary>
    public Module Compile(string digest, ReadOnlyMemory<byte> bytes)
    {
        var lazy = _compiled.GetOrAdd(digest, d => new Lazy<Module>(() => CompileNow(d, bytes), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch (MeshHandlerException)
        {
            _compiled.TryRemove(new KeyValuePair<string, Lazy<Module>>(digest, lazy));
            throw;
        }
    }

    /// <summary>Compiles WebAssembly text (tests and benchmarks).</summary>
    public Module CompileText(string name, string text) => Module.FromText(_engine, name, text);

    /// <summary>The module compiled for this digest, when it was compiled already.</summary>
    public bool TryGetCompiled(string digest, out Module module)
    {
        if (_compiled.TryGetValue(digest, out var lazy) && lazy.IsValueCreated)
        {
            module = lazy.Value;
            return true;
        }

        module = null!;
        return false;
    }

    /// <summary>
    /// Runs <paramref name="module"/>'s entry point on the calling thread (call it from a dedicated
    /// thread: it blocks until the module returns or is stopped). The run's items are completed when it ends.
    /// </summary>
    public void Run(Module module, WasmInvocation invocation)
    {
        try
        {
            RunCore(module, invocation);
            invocation.Complete();
        }
        catch (Exception ex)
        {
            invocation.Complete(ex);
            throw;
        }
    }

    private void RunCore(Module module, WasmInvocation invocation)
    {
        var limits = invocation.Limits;
        foreach (var memory in module.Exports.OfType<MemoryExport>().Concat<object>(module.Imports.OfType<MemoryImport>()))
        {
            var minimum = memory is MemoryExport e ? e.Minimum : ((MemoryImport)memory).Minimum;
            if (minimum * 65536 > limits.MaxMemoryBytes)
            {
                throw new MeshHandlerException(WasmErrorCodes.MemoryLimit,
                    $"The module declares {minimum * 65536} bytes of initial memory; the limit is {limits.MaxMemoryBytes}.");
            }
        }

        using var store = new Store(_engine, invocation);
        store.SetLimits(memorySize: limits.MaxMemoryBytes, instances: 1, tables: 4, memories: 1, tableElements: 100_000);
        store.Fuel = (ulong)limits.MaxFuel;
        var time = _options.TimeProvider;
        invocation.StartedAt = time.GetTimestamp();
        store.SetEpochDeadline(1);
        store.SetEpochDeadlineCallback(s =>
        {
            var state = (WasmInvocation)s.GetData()!;
            if (state.CancellationToken.IsCancellationRequested)
            {
                throw state.Fail(new OperationCanceledException(state.CancellationToken));
            }

            if (time.GetElapsedTime(state.StartedAt) > state.Limits.MaxWallTime)
            {
                throw state.Fail(new MeshHandlerException(WasmErrorCodes.WallTimeExceeded,
                    $"The module ran longer than {state.Limits.MaxWallTime.TotalMilliseconds:0} ms, its wall-time limit, and was stopped."));
            }

            return 1;
        });

        try
        {
            Instance instance;
            try
            {
                instance = _linker.Instantiate(store, module);
            }
            catch (WasmtimeException ex) when (invocation.Failure is null && ex is not TrapException)
            {
                throw new MeshHandlerException(WasmErrorCodes.InvalidModule, "The module cannot be instantiated: " + FirstLine(ex.Message), ex);
            }

            var run = instance.GetAction(EntryPoint)
                ?? throw new MeshHandlerException(WasmErrorCodes.InvalidModule, $"The module exports no function '{EntryPoint}' taking and returning nothing.");
            run();
        }
        catch (WasmtimeException ex)
        {
            throw Translate(ex, invocation, store);
        }
    }

    private static Exception Translate(WasmtimeException ex, WasmInvocation invocation, Store store)
    {
        if (invocation.Failure is { } failure)
        {
            return failure;
        }

        if (ex is TrapException { Type: TrapCode.OutOfFuel } || store.Fuel == 0)
        {
            return new MeshHandlerException(WasmErrorCodes.OutOfFuel, $"The module burned its {invocation.Limits.MaxFuel} units of fuel, its CPU limit, and was stopped.", ex);
        }

        return new MeshHandlerException(WasmErrorCodes.Trap, "The module trapped: " + FirstLine(ex.Message), ex);
    }

    private Module CompileNow(string digest, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return Module.FromBytes(_engine, digest, bytes.Span);
        }
        catch (WasmtimeException ex)
        {
            throw new MeshHandlerException(WasmErrorCodes.InvalidModule, "The module is not valid WebAssembly: " + FirstLine(ex.Message), ex);
        }
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? message.Trim() : line;
    }

    /// <summary>The bytes of a JSON value, for a module's input.</summary>
    public static byte[] InputBytes(JsonElement? parameters) =>
        parameters is { } p ? JsonSerializer.SerializeToUtf8Bytes(p) : "null"u8.ToArray();

    public void Dispose()
    {
        _epochTimer.Dispose();
        foreach (var lazy in _compiled.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Dispose();
            }
        }

        _linker.Dispose();
        _engine.Dispose();
    }
}
