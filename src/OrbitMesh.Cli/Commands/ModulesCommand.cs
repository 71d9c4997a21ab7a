using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Modules;
using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh modules push|list</c>: the WebAssembly modules agents run as <c>wasm:NAME[@VERSION]</c> jobs.</summary>
internal static class ModulesCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var name = new Argument<string>("name") { Description = "The module's name (" + WasmModuleName.Rule + ")." };
        var file = new Argument<string>("file") { Description = "The module: a .wasm binary, or WebAssembly text (.wat), converted before upload." };
        var version = new Option<string?>("--version") { Description = "The version (immutable); default: the next number the server assigns." };
        var push = new Command("push", "Upload a WebAssembly module (admin). Agents started with --allow-wasm run it as wasm:NAME[@VERSION].") { name, file, version, server, apiKey, json };
        push.SetAction(async (result, cancellationToken) =>
        {
            var moduleName = result.GetValue(name)!;
            var moduleVersion = result.GetValue(version);
            if (!WasmModuleName.IsValidPart(moduleName) || (moduleVersion is not null && !WasmModuleName.IsValidPart(moduleVersion)))
            {
                throw new CliException($"The module name and version must be {WasmModuleName.Rule}.");
            }

            var bytes = await ReadModuleAsync(result.GetValue(file)!, cancellationToken).ConfigureAwait(false);
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/wasm");
            var path = "api/modules/" + Uri.EscapeDataString(moduleName) + (moduleVersion is null ? "" : "?version=" + Uri.EscapeDataString(moduleVersion));
            var info = await rest.SendAsync<WasmModuleInfo>(HttpMethod.Post, path, content, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json)
                ? JsonSerializer.Serialize(info, OrbitMeshJson.Options) + Environment.NewLine
                : $"Module {info.Name}@{info.Version}: {info.Size} bytes, SHA-256 {info.Sha256}. Run it with: orbitmesh jobs submit wasm:{info.Name}@{info.Version}{Environment.NewLine}");
            return 0;
        });

        var listServer = CommonOptions.Server();
        var listKey = CommonOptions.ApiKey();
        var listJson = CommonOptions.Json();
        var list = new Command("list", "List the stored modules and their versions.") { listServer, listKey, listJson };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(listServer)!, result.GetValue(listKey));
            var modules = await rest.SendAsync<List<WasmModuleInfo>>(HttpMethod.Get, "api/modules", null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(listJson))
            {
                Console.WriteLine(JsonSerializer.Serialize(modules, OrbitMeshJson.Options));
                return 0;
            }

            var table = new TextTable("NAME", "VERSION", "SIZE", "SHA-256", "UPLOADED", "BY");
            foreach (var module in modules)
            {
                table.AddRow(module.Name, module.Version, module.Size.ToString(CultureInfo.InvariantCulture), module.Sha256,
                    module.UploadedAt.ToString("u", CultureInfo.InvariantCulture), module.UploadedBy);
            }

            Console.Write(modules.Count == 0 ? "No modules." + Environment.NewLine : table.ToString());
            return 0;
        });

        return new Command("modules", "WebAssembly modules for sandboxed jobs (wasm:NAME[@VERSION]).") { push, list };
    }

    private static async Task<byte[]> ReadModuleAsync(string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read '{path}': {ex.Message}");
        }

        if (bytes.AsSpan().StartsWith("\0asm"u8))
        {
            return bytes;
        }

        try
        {
            return WatCompiler.ToBinary(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (FormatException ex)
        {
            throw new CliException($"'{path}' is neither a WebAssembly binary nor valid WebAssembly text: {ex.Message}");
        }
    }
}
