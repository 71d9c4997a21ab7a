using System.Text;
using OrbitMesh.Agent;
using Wasmtime;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// The functions the host offers modules, all in the import module <c>orbitmesh</c>. They are the only
/// way out of the sandbox: a module has no file system, network, clock or environment except what one
/// of these grants, and a capability the agent did not grant fails the job with <c>not_allowed</c>.
/// </summary>
internal static class WasmHostFunctions
{
    /// <summary>The import module name.</summary>
    public const string Module = "orbitmesh";

    /// <summary>The most bytes one <c>file_read</c> copies.</summary>
    public const int MaxFileReadBytes = 16 * 1024 * 1024;

    /// <summary>Fuel charged per byte a host function copies, so host work counts against the CPU budget too.</summary>
    private const ulong FuelPerByte = 1;

    public static void Define(Linker linker, WasmOptions options)
    {
        var files = options.Files;
        var allowClock = options.AllowClock;
        var time = options.TimeProvider;

        linker.DefineFunction(Module, "input_size", (Caller caller) => State(caller).Input.Length);

        linker.DefineFunction(Module, "input_read", (Caller caller, int ptr, int len) =>
        {
            var state = State(caller);
            var count = Math.Min(Math.Max(len, 0), state.Input.Length);
            var target = Span(caller, state, ptr, count);
            Charge(caller, count);
            state.Input.AsSpan(0, count).CopyTo(target);
            return count;
        });

        linker.DefineFunction(Module, "result", (Caller caller, int ptr, int len) =>
        {
            var state = State(caller);
            state.SetResult(Span(caller, state, ptr, len));
        });

        linker.DefineFunction(Module, "emit", (Caller caller, int ptr, int len) =>
        {
            var state = State(caller);
            state.Emit(Span(caller, state, ptr, len));
        });

        linker.DefineFunction(Module, "progress", (Caller caller, double percent, int ptr, int len) =>
        {
            var state = State(caller);
            var message = len == 0 ? null : Encoding.UTF8.GetString(Span(caller, state, ptr, len));
            state.ReportProgress(percent < 0 ? null : percent, message);
        });

        linker.DefineFunction(Module, "fail", (Caller caller, int ptr, int len) =>
        {
            var state = State(caller);
            var message = Encoding.UTF8.GetString(Span(caller, state, ptr, Math.Min(len, 4096)));
            throw state.Fail(new MeshHandlerException(WasmErrorCodes.Trap, "The module failed: " + message));
        });

        linker.DefineFunction(Module, "clock_now_ms", (Caller caller) =>
        {
            var state = State(caller);
            if (!allowClock)
            {
                throw state.Fail(new MeshAccessDeniedException("clock_now_ms: this agent grants modules no clock (WasmOptions.AllowClock)."));
            }

            return time.GetUtcNow().ToUnixTimeMilliseconds();
        });

        linker.DefineFunction(Module, "file_read", (Caller caller, int pathPtr, int pathLen, int bufPtr, int bufLen) =>
        {
            var state = State(caller);
            var path = Encoding.UTF8.GetString(Span(caller, state, pathPtr, Math.Min(pathLen, 4096)));
            if (files is null)
            {
                throw state.Fail(new MeshAccessDeniedException($"file_read '{path}': this agent grants modules no file access (start it with --allow-path DIR)."));
            }

            string real;
            try
            {
                real = files.Authorize(path);
            }
            catch (OrbitMeshException ex)
            {
                throw state.Fail(ex);
            }

            if (!File.Exists(real))
            {
                return -1L;
            }

            using var handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            var count = (int)Math.Min(Math.Min(length, Math.Max(bufLen, 0)), MaxFileReadBytes);
            var target = Span(caller, state, bufPtr, count);
            Charge(caller, count);
            var read = 0;
            while (read < count)
            {
                var n = RandomAccess.Read(handle, target[read..], read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return length;
        });
    }

    private static WasmInvocation State(Caller caller) =>
        caller.GetData() as WasmInvocation ?? throw new InvalidOperationException("The store carries no invocation.");

    /// <summary>The module's memory from <paramref name="ptr"/> for <paramref name="len"/> bytes; an out-of-bounds range traps.</summary>
    private static Span<byte> Span(Caller caller, WasmInvocation state, int ptr, int len)
    {
        var memory = caller.GetMemory("memory")
            ?? throw state.Fail(new MeshHandlerException(WasmErrorCodes.InvalidModule, "The module exports no memory named 'memory'."));
        if (ptr < 0 || len < 0 || (long)ptr + len > memory.GetLength())
        {
            throw state.Fail(new MeshHandlerException(WasmErrorCodes.Trap, $"A host call passed the range [{ptr}, {(long)ptr + len}) outside the module's memory ({memory.GetLength()} bytes)."));
        }

        return memory.GetSpan(ptr, len);
    }

    private static void Charge(Caller caller, int bytes)
    {
        var cost = (ulong)Math.Max(0, bytes) * FuelPerByte;
        var fuel = caller.Fuel;
        caller.Fuel = fuel > cost ? fuel - cost : 0;
    }
}
