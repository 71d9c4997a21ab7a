using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Client;
using OrbitMesh.Grid;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh grid scan|hash|copy</c>: Orbit Grid's file operations, standalone on the local disk, or
/// with <c>--agent</c> (<c>--from-agent</c>/<c>--to-agent</c> for copies) on star agents through the server.
/// </summary>
internal static class GridCommand
{
    public static Command Create() =>
        new("grid", "Orbit Grid: scan, hash and copy files where they are, on the local disk or on star agents (started with --allow-path).")
        {
            Scan(),
            Hash(),
            Copy(),
        };

    private static Command Scan()
    {
        var path = new Argument<string>("PATH") { Description = "The directory to scan (on the star: absolute, or relative to its first allowed path)." };
        var agent = AgentOption("--agent", "Scan on this star agent instead of the local disk.");
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var scan = new Command("scan", "List every entry under a directory (recursively; links are listed, not followed): kind, size, modified time, path.") { path, agent, server, apiKey, json };
        scan.SetAction(async (result, cancellationToken) =>
        {
            using var systems = new Systems(result.GetValue(server)!, result.GetValue(apiKey));
            var system = systems.For(result.GetValue(agent));
            var asJson = result.GetValue(json);
            var stdout = Console.Out;
            long files = 0, directories = 0, others = 0, bytes = 0;
            var first = true;
            if (asJson)
            {
                await stdout.WriteAsync("[").ConfigureAwait(false);
            }

            await foreach (var entry in system.ScanDirectoryAsync(result.GetValue(path)!, cancellationToken).ConfigureAwait(false))
            {
                _ = entry.Kind switch
                {
                    GridEntryKind.File => files++,
                    GridEntryKind.Directory => directories++,
                    _ => others++,
                };
                bytes += entry.Size;
                if (asJson)
                {
                    await stdout.WriteAsync((first ? "" : ",") + JsonSerializer.Serialize(entry, OrbitMeshJson.Options)).ConfigureAwait(false);
                }
                else
                {
                    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{KindName(entry.Kind),-9} {entry.Size,14} {entry.ModifiedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}  {entry.Path}")).ConfigureAwait(false);
                }

                first = false;
            }

            if (asJson)
            {
                await stdout.WriteLineAsync("]").ConfigureAwait(false);
            }
            else
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{files} files ({bytes} bytes), {directories} directories, {others} other entries.")).ConfigureAwait(false);
            }

            return 0;
        });
        return scan;
    }

    private static Command Hash()
    {
        var path = new Argument<string>("PATH") { Description = "The file to hash." };
        var offset = new Option<long>("--offset") { Description = "Where the range starts, in bytes.", DefaultValueFactory = _ => 0 };
        var length = new Option<long?>("--length") { Description = "How many bytes to hash (default: to the end of the file)." };
        var algorithm = new Option<string>("--algorithm") { Description = "blake3 or sha256.", DefaultValueFactory = _ => "blake3" };
        algorithm.AcceptOnlyFromAmong("blake3", "sha256");
        var agent = AgentOption("--agent", "Hash on this star agent (only the digest travels) instead of the local disk.");
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var hash = new Command("hash", "The BLAKE3 or SHA-256 digest of a file or a byte range of it, computed where the file is.") { path, offset, length, algorithm, agent, server, apiKey, json };
        hash.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(offset) < 0 || result.GetValue(length) < 0)
            {
                throw new CliException("--offset and --length must not be negative.");
            }

            using var systems = new Systems(result.GetValue(server)!, result.GetValue(apiKey));
            var kind = result.GetValue(algorithm) == "sha256" ? GridHashAlgorithm.Sha256 : GridHashAlgorithm.Blake3;
            var digest = await systems.For(result.GetValue(agent))
                .HashRangeAsync(result.GetValue(path)!, result.GetValue(offset), result.GetValue(length), kind, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(result.GetValue(json)
                ? JsonSerializer.Serialize(digest, OrbitMeshJson.Options)
                : string.Create(CultureInfo.InvariantCulture, $"{digest.Hex}  {result.GetValue(path)} ({AlgorithmName(digest.Algorithm)}, bytes {digest.Offset} to {digest.Offset + digest.Length})"));
            return 0;
        });
        return hash;
    }

    private static Command Copy()
    {
        var source = new Argument<string?>("SRC") { Description = "The file or directory to copy (omit it when --from-agent carries the path).", Arity = ArgumentArity.ZeroOrOne };
        var target = new Argument<string?>("DST") { Description = "Where to copy it (omit it when --to-agent carries the path).", Arity = ArgumentArity.ZeroOrOne };
        var from = AgentOption("--from-agent", "Read from this star agent: ID, or ID:PATH in place of SRC.");
        var to = AgentOption("--to-agent", "Write to this star agent: ID, or ID:PATH in place of DST.");
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var relay = new Option<bool>("--relay") { Description = "Star to star, relay the bytes through the server even when both stars have a data endpoint (--data-address)." };
        var json = CommonOptions.Json();
        var copy = new Command("copy", "Copy a file or a directory tree between the local disk and star agents, in any combination; every file is verified by its BLAKE3 digest on both sides. Star to star, the bytes go directly from star to star when both have a data endpoint.") { source, target, from, to, relay, server, apiKey, json };
        copy.SetAction(async (result, cancellationToken) =>
        {
            // The paths given as arguments fill, in order, the sides whose agent option carries none:
            // 'copy --from-agent A:/x ./local' copies A's /x to ./local.
            var positional = new Queue<string>(new[] { result.GetValue(source), result.GetValue(target) }.OfType<string>());
            var fromOption = result.GetValue(from);
            var toOption = result.GetValue(to);
            var (fromAgent, fromPath) = Endpoint(fromOption, CarriesPath(fromOption) ? null : positional.TryDequeue(out var s) ? s : null, "--from-agent", "SRC");
            var (toAgent, toPath) = Endpoint(toOption, CarriesPath(toOption) ? null : positional.TryDequeue(out var d) ? d : null, "--to-agent", "DST");
            if (positional.Count > 0)
            {
                throw new CliException($"Too many paths: '{positional.Peek()}' has no side to go to (the agent options already carry their paths).");
            }

            using var systems = new Systems(result.GetValue(server)!, result.GetValue(apiKey));
            var asJson = result.GetValue(json);
            var progress = new CopyProgressView(Console.Error, enabled: !asJson && !Console.IsErrorRedirected, TimeProvider.System);
            GridCopyResult copied;
            try
            {
                copied = fromAgent is not null && toAgent is not null && !result.GetValue(relay)
                    && await GridDirectCopy.CanLinkAsync(systems.Mesh, fromAgent, toAgent, cancellationToken).ConfigureAwait(false)
                    ? await GridDirectCopy.CopyAsync(systems.Mesh, fromAgent, fromPath, toAgent, toPath, progress, cancellationToken).ConfigureAwait(false)
                    : await GridCopy.CopyAsync(systems.For(fromAgent), fromPath, systems.For(toAgent), toPath, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress.Clear();
            }

            var seconds = Math.Max(copied.Elapsed.TotalSeconds, 1e-6);
            Console.WriteLine(asJson
                ? JsonSerializer.Serialize(copied, OrbitMeshJson.Options)
                : string.Create(CultureInfo.InvariantCulture,
                    $"Copied {copied.Files.Count} file(s), {copied.Bytes} bytes in {copied.Elapsed.TotalSeconds:0.00} s ({copied.Bytes / seconds / (1024 * 1024):0.0} MiB/s); BLAKE3 verified on both sides."));
            return 0;
        });
        return copy;
    }

    private static bool CarriesPath(string? agentOption) => agentOption?.Contains(':', StringComparison.Ordinal) == true;

    /// <summary>Where one side of a copy is: the agent (null: the local disk) and the path.</summary>
    internal static (string? Agent, string Path) Endpoint(string? agentOption, string? argument, string optionName, string argumentName)
    {
        string? agent = null;
        string? embedded = null;
        if (agentOption is not null)
        {
            var colon = agentOption.IndexOf(':', StringComparison.Ordinal);
            (agent, embedded) = colon < 0 ? (agentOption, null) : (agentOption[..colon], agentOption[(colon + 1)..]);
            if (agent.Length == 0 || embedded is { Length: 0 })
            {
                throw new CliException($"{optionName} takes ID or ID:PATH, not '{agentOption}'.");
            }
        }

        if (embedded is not null && argument is not null)
        {
            throw new CliException($"Give the path either as {argumentName} or in {optionName} ID:PATH, not both.");
        }

        return (agent, embedded ?? argument ?? throw new CliException($"{argumentName} is required (or {optionName} ID:PATH)."));
    }

    private static Option<string?> AgentOption(string name, string description) => new(name) { Description = description };

    private static string KindName(GridEntryKind kind) => kind switch
    {
        GridEntryKind.File => "file",
        GridEntryKind.Directory => "directory",
        GridEntryKind.Link => "link",
        _ => "other",
    };

    private static string AlgorithmName(GridHashAlgorithm algorithm) => algorithm == GridHashAlgorithm.Sha256 ? "SHA-256" : "BLAKE3";

    /// <summary>The local disk, or a star through one REST client made on first use.</summary>
    private sealed class Systems(string server, string? apiKey) : IDisposable
    {
        private MeshHttpClient? _mesh;

        public MeshHttpClient Mesh => _mesh ??= CommonOptions.MeshClient(server, apiKey);

        public IOrbitSystem For(string? agent) =>
            agent is null ? new LocalSystem() : new RemoteSystem(Mesh, agent);

        public void Dispose() => _mesh?.Dispose();
    }
}
