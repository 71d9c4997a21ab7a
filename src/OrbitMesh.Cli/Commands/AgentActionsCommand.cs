using System.CommandLine;
using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh agents pause|resume|twin|twin-set|invoke</c>: what the REST API lets an operator do to one
/// agent, from the command line.
/// </summary>
internal static class AgentActionsCommand
{
    public static IEnumerable<Command> Create() =>
    [
        Lifecycle("pause", "Pause an agent: it gets no new jobs; running ones finish (operator)."),
        Lifecycle("resume", "Resume a paused agent (operator)."),
        TwinGet(),
        TwinSet(),
        Invoke(),
    ];

    private static Command Lifecycle(string verb, string description)
    {
        var id = new Argument<string>("ID") { Description = "The agent's id." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var command = new Command(verb, description) { id, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var answer = await rest.SendAsync<JsonElement>(HttpMethod.Post, $"api/agents/{Uri.EscapeDataString(result.GetValue(id)!)}/{verb}", null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(result.GetValue(json)
                ? answer.GetRawText()
                : $"Agent {result.GetValue(id)}: {(answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("status", out var status) ? status.ToString() : verb + "d")}.");
            return 0;
        });
        return command;
    }

    private static Command TwinGet()
    {
        var id = new Argument<string>("ID") { Description = "The agent's id." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var command = new Command("twin", "Print an agent's twin (desired and reported properties, versions) as JSON.") { id, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var twin = await rest.SendAsync<JsonElement>(HttpMethod.Get, $"api/agents/{Uri.EscapeDataString(result.GetValue(id)!)}/twin", null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(twin, Indented));
            return 0;
        });
        return command;
    }

    private static Command TwinSet()
    {
        var id = new Argument<string>("ID") { Description = "The agent's id." };
        var desired = new Option<string>("--desired") { Description = "A JSON merge patch of the desired properties, e.g. '{\"logLevel\":\"debug\"}' (null removes a property).", Required = true };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var command = new Command("twin-set", "Patch an agent's desired properties (operator); the agent gets the change.") { id, desired, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            JsonElement patch;
            try
            {
                using var document = JsonDocument.Parse(result.GetValue(desired)!);
                patch = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new CliException($"--desired is not valid JSON: {ex.Message}");
            }

            if (patch.ValueKind != JsonValueKind.Object)
            {
                throw new CliException("--desired must be a JSON object (a merge patch).");
            }

            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var twin = await rest.SendAsync<JsonElement>(HttpMethod.Patch, $"api/agents/{Uri.EscapeDataString(result.GetValue(id)!)}/twin", new { desired = patch }, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(JsonSerializer.Serialize(twin, Indented));
            return 0;
        });
        return command;
    }

    private static Command Invoke()
    {
        var id = new Argument<string>("ID") { Description = "The agent's id." };
        var name = new Argument<string>("COMMAND") { Description = "The command." };
        var parameters = new Option<string[]>("--param") { Description = "A parameter k=v (v is read as JSON when it parses, else as a string). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var parametersJson = new Option<string?>("--params-json") { Description = "All parameters as one JSON object." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds to wait for the answer (default: the server's, 30)." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var command = new Command("invoke", "Call a command on one agent without a job record (the fast path) and print its result as JSON (operator).") { id, name, parameters, parametersJson, timeout, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var answer = await mesh.InvokeAsync<JsonElement?>(
                result.GetValue(id)!,
                result.GetValue(name)!,
                JobsCommand.ParseParameters(result.GetValue(parameters) ?? [], result.GetValue(parametersJson)),
                result.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                cancellationToken).ConfigureAwait(false);
            Console.WriteLine(answer is { } value ? value.GetRawText() : "null");
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Indented = new(OrbitMeshJson.Options) { WriteIndented = true };
}
