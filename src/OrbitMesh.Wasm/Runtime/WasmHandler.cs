using System.Runtime.CompilerServices;
using System.Text.Json;
using OrbitMesh.Agent;
using OrbitMesh.Modules;
using Wasmtime;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// Runs <c>wasm:NAME[@VERSION]</c> jobs: finds the compiled module, runs it on a dedicated thread under
/// the job's limits, and returns its result (request-response) or streams its items (streaming jobs).
/// </summary>
internal sealed class WasmHandler(WasmEngine engine, WasmModuleCache modules, WasmOptions options)
{
    /// <summary>The parameter property a job lowers its limits with; it is not passed to the module.</summary>
    public const string LimitsProperty = "$wasm";

    /// <summary>Request-response: the module's result; when it set none, the items it emitted as an array; else null.</summary>
    public async Task<object?> ExecuteAsync(MeshCommand command, CancellationToken cancellationToken)
    {
        var (invocation, run) = await StartAsync(command, cancellationToken).ConfigureAwait(false);
        var items = new List<JsonElement>();
        try
        {
            await foreach (var item in invocation.Items.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                items.Add(item);
            }
        }
        catch (Exception) when (run.IsFaulted || run.IsCanceled)
        {
            // The run's own exception says why; it is rethrown below.
        }

        await run.ConfigureAwait(false);
        return invocation.Result is { } result ? result : items.Count > 0 ? items : null;
    }

    /// <summary>Streaming: the items as the module emits them, then its result, when it set one.</summary>
    public async IAsyncEnumerable<object?> StreamAsync(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (invocation, run) = await StartAsync(command, cancellationToken).ConfigureAwait(false);
        var reader = invocation.Items;
        while (true)
        {
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception) when (run.IsFaulted || run.IsCanceled)
            {
                more = false;
            }

            if (!more)
            {
                break;
            }

            while (reader.TryRead(out var item))
            {
                yield return item;
            }
        }

        await run.ConfigureAwait(false);
        if (invocation.Result is { } result)
        {
            yield return result;
        }
    }

    private async Task<(WasmInvocation Invocation, Task Run)> StartAsync(MeshCommand command, CancellationToken cancellationToken)
    {
        if (!WasmModuleName.TryParseCommand(command.Command, out var name))
        {
            throw new MeshParameterException($"'{command.Command}' is not a WebAssembly command: wasm:NAME[@VERSION], where NAME and VERSION are {WasmModuleName.Rule}.");
        }

        var (input, limits) = SplitParameters(command.Parameters);
        var (_, module) = await modules.GetAsync(name!, cancellationToken).ConfigureAwait(false);
        var invocation = new WasmInvocation(input, limits, command.ReportProgressAsync, cancellationToken);
        var run = Task.Factory.StartNew(() => Execute(module, invocation), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
        return (invocation, run);
    }

    private void Execute(Module module, WasmInvocation invocation)
    {
        try
        {
            engine.Run(module, invocation);
        }
        catch (OperationCanceledException) when (invocation.CancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The job was cancelled; the module was stopped.", invocation.CancellationToken);
        }
    }

    /// <summary>The module's input (the parameters without <see cref="LimitsProperty"/>) and the limits, lowered as the job asks.</summary>
    internal (byte[] Input, WasmLimits Limits) SplitParameters(JsonElement? parameters)
    {
        var limits = WasmLimits.From(options);
        if (parameters is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty(LimitsProperty, out var requested))
        {
            return (WasmEngine.InputBytes(parameters), limits);
        }

        if (requested.ValueKind != JsonValueKind.Object)
        {
            throw new MeshParameterException($"'{LimitsProperty}' must be an object of limits (maxMemoryBytes, maxFuel, maxWallTimeMs, maxOutputBytes).");
        }

        foreach (var limit in requested.EnumerateObject())
        {
            if (!limit.Value.TryGetInt64(out var value) || value <= 0)
            {
                throw new MeshParameterException($"'{LimitsProperty}.{limit.Name}' must be a positive integer.");
            }

            limits = limit.Name switch
            {
                "maxMemoryBytes" => limits with { MaxMemoryBytes = Math.Min(value, limits.MaxMemoryBytes) },
                "maxFuel" => limits with { MaxFuel = Math.Min(value, limits.MaxFuel) },
                "maxWallTimeMs" => limits with { MaxWallTime = TimeSpan.FromMilliseconds(Math.Min(value, (long)limits.MaxWallTime.TotalMilliseconds)) },
                "maxOutputBytes" => limits with { MaxOutputBytes = (int)Math.Min(value, limits.MaxOutputBytes) },
                _ => throw new MeshParameterException($"'{LimitsProperty}.{limit.Name}' is not a limit: use maxMemoryBytes, maxFuel, maxWallTimeMs or maxOutputBytes."),
            };
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in p.EnumerateObject())
            {
                if (property.Name != LimitsProperty)
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return (buffer.ToArray(), limits);
    }
}
