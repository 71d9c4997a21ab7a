using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrbitMesh.Bench;

// dotnet run -c Release --project bench/OrbitMesh.Bench -- --scenario all --out bench-results.json
var options = ParseArguments(args);
if (options is null)
{
    return 2;
}

if (options.TryGetValue("role", out var role) && role == "server")
{
    return await BenchServer.RunAsync(
        int.Parse(options["port"], CultureInfo.InvariantCulture),
        options.GetValueOrDefault("storage", "memory"),
        options.GetValueOrDefault("data"),
        int.Parse(options.GetValueOrDefault("heartbeat-ms", "5000"), CultureInfo.InvariantCulture),
        int.Parse(options.GetValueOrDefault("handshake-budget", "128"), CultureInfo.InvariantCulture));
}

var settings = new BenchSettings();
if (options.TryGetValue("agents", out var agents))
{
    settings = settings with { Agents = PositiveInt("agents", agents) };
}

if (options.TryGetValue("messages", out var messages))
{
    settings = settings with { Messages = PositiveInt("messages", messages) };
}

if (options.TryGetValue("jobs", out var jobs))
{
    settings = settings with { Jobs = PositiveInt("jobs", jobs) };
}

if (options.TryGetValue("storm-agents", out var stormAgents))
{
    settings = settings with { StormAgents = PositiveInt("storm-agents", stormAgents) };
}

if (options.TryGetValue("nodes", out var nodes))
{
    settings = settings with { Nodes = PositiveInt("nodes", nodes) };
}

if (options.TryGetValue("seconds", out var seconds))
{
    settings = settings with { Duration = TimeSpan.FromSeconds(PositiveInt("seconds", seconds)) };
}

var requested = options.GetValueOrDefault("scenario", "all");
var names = requested == "all" ? Scenarios.All.Keys.ToList() : requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
var unknown = names.Where(n => !Scenarios.All.ContainsKey(n)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"error: unknown scenario '{string.Join("', '", unknown)}'. Known: all, {string.Join(", ", Scenarios.All.Keys)}.");
    return 2;
}

var results = new JsonObject();
var failed = false;
foreach (var name in names)
{
    Console.Error.WriteLine($"scenario {name} ...");
    try
    {
        var metrics = await Scenarios.All[name](settings);
        var node = new JsonObject();
        foreach (var (key, value) in metrics)
        {
            node[key] = Math.Round(value, 3);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-40} {value,14:0.###}"));
        }

        results[name] = node;
    }
#pragma warning disable CA1031 // One failing scenario is reported and the others still run.
    catch (Exception ex)
#pragma warning restore CA1031
    {
        failed = true;
        Console.Error.WriteLine($"  failed: {ex.GetType().Name}: {ex.Message}");
        results[name] = new JsonObject { ["error"] = ex.Message };
    }
}

var document = new JsonObject
{
    ["machine"] = new JsonObject
    {
        ["os"] = RuntimeInformation.OSDescription,
        ["architecture"] = RuntimeInformation.OSArchitecture.ToString(),
        ["processors"] = Environment.ProcessorCount,
        ["memoryGiB"] = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0, 1),
        ["runtime"] = RuntimeInformation.FrameworkDescription,
    },
    ["date"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["settings"] = new JsonObject
    {
        ["agents"] = settings.Agents,
        ["messages"] = settings.Messages,
        ["jobs"] = settings.Jobs,
        ["stormAgents"] = settings.StormAgents,
        ["nodes"] = settings.Nodes,
        ["secondsPerMeasurement"] = settings.Duration.TotalSeconds,
    },
    ["scenarios"] = results,
};
var json = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
if (options.TryGetValue("out", out var output))
{
    await File.WriteAllTextAsync(output, json + Environment.NewLine);
    Console.Error.WriteLine($"wrote {output}");
}
else
{
    Console.WriteLine(json);
}

return failed ? 1 : 0;

static Dictionary<string, string>? ParseArguments(string[] args)
{
    var known = new HashSet<string>(StringComparer.Ordinal) { "scenario", "out", "agents", "messages", "jobs", "seconds", "role", "port", "storage", "data", "heartbeat-ms", "handshake-budget", "storm-agents", "nodes" };
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || !known.Contains(args[i][2..]) || i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"error: unexpected argument '{args[i]}'. Usage: --scenario all|{string.Join('|', Scenarios.All.Keys)} [--out FILE] [--agents N] [--messages N] [--jobs N] [--storm-agents N] [--nodes N] [--seconds N]");
            return null;
        }

        result[args[i][2..]] = args[++i];
    }

    return result;
}

static int PositiveInt(string name, string value) =>
    int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
        ? n
        : throw new ArgumentException($"--{name} must be a positive whole number, not '{value}'.");
