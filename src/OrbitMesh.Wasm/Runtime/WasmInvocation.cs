using System.Text.Json;
using System.Threading.Channels;
using OrbitMesh.Agent;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// The state of one module run, kept as the store's data so host functions reach it: the input, the
/// output budget, the result, the streamed items and the reason the run was stopped, when it was.
/// </summary>
internal sealed class WasmInvocation
{
    private readonly Channel<JsonElement> _items;
    private readonly Func<double?, string?, CancellationToken, Task>? _progress;
    private int _outputBytes;

    public WasmInvocation(byte[] input, WasmLimits limits, Func<double?, string?, CancellationToken, Task>? progress, CancellationToken cancellationToken)
    {
        Input = input;
        Limits = limits;
        _progress = progress;
        CancellationToken = cancellationToken;
        _items = Channel.CreateBounded<JsonElement>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public byte[] Input { get; }

    public WasmLimits Limits { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>The result the module set; null when it set none.</summary>
    public JsonElement? Result { get; private set; }

    /// <summary>The items the module emits, read while it runs.</summary>
    public ChannelReader<JsonElement> Items => _items.Reader;

    /// <summary>Why the run was stopped by the host (a limit, a refused capability, cancellation); null when it was not.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>When the run started, as a <see cref="TimeProvider"/> timestamp.</summary>
    public long StartedAt { get; set; }

    /// <summary>Records why the host stops the run and returns the exception for the host function to throw (it becomes a trap).</summary>
    public Exception Fail(Exception failure)
    {
        Failure ??= failure;
        return Failure;
    }

    public void SetResult(ReadOnlySpan<byte> json)
    {
        Charge(json.Length);
        Result = ParseJson(json, "result");
    }

    public void Emit(ReadOnlySpan<byte> json)
    {
        Charge(json.Length);
        var item = ParseJson(json, "item");
        if (!_items.Writer.TryWrite(item))
        {
            // The reader is behind (bounded queue towards the server): wait, on this dedicated thread, unless cancelled.
            _items.Writer.WriteAsync(item, CancellationToken).AsTask().GetAwaiter().GetResult();
        }
    }

    public void ReportProgress(double? percent, string? message)
    {
        Charge(message?.Length ?? 0);
        if (percent is { } p && (double.IsNaN(p) || p < 0 || p > 100))
        {
            throw Fail(new MeshHandlerException(WasmErrorCodes.Trap, $"progress: the percent {p} is not between 0 and 100."));
        }

        _progress?.Invoke(percent, message, CancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Ends the item stream (after the run, successful or not).</summary>
    public void Complete(Exception? error = null) => _items.Writer.TryComplete(error);

    private void Charge(int bytes)
    {
        _outputBytes += bytes;
        if (_outputBytes > Limits.MaxOutputBytes)
        {
            throw Fail(new MeshHandlerException(WasmErrorCodes.OutputLimit, $"The module produced more than {Limits.MaxOutputBytes} bytes of output, its limit."));
        }
    }

    private JsonElement ParseJson(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return JsonElement.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw Fail(new MeshHandlerException(WasmErrorCodes.InvalidOutput, $"The module's {what} is not valid JSON: {ex.Message}"));
        }
    }
}
