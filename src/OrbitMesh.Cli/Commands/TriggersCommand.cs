using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh triggers list|get|create|enable|disable|fire|rotate-secret|delete</c>: what starts
/// workflow runs by itself (cron, events, webhooks) or by hand. Everyone reads; operators change.
/// </summary>
internal static class TriggersCommand
{
    public static Command Create() => new("triggers", "Triggers that start workflow runs: cron schedules, events, webhooks, or by hand.")
    {
        ListCommand(),
        GetCommand(),
        CreateCommand(),
        NameCommand("enable", "Enable a trigger; a cron trigger fires no time that passed while it was disabled.", HttpMethod.Post, "/enable"),
        NameCommand("disable", "Disable a trigger: it keeps its state and fires nothing.", HttpMethod.Post, "/disable"),
        FireCommand(),
        NameCommand("rotate-secret", "Give a webhook trigger a new secret (printed once); the old one stops working at once.", HttpMethod.Post, "/rotate-secret"),
        NameCommand("delete", "Delete a trigger; the runs it started stay.", HttpMethod.Delete, string.Empty),
    };

    private static Command ListCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the triggers with their next and last firing.") { server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var triggers = await rest.SendAsync<JsonElement>(HttpMethod.Get, "api/triggers", null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(triggers.GetRawText());
                return 0;
            }

            var infos = triggers.Deserialize<List<WorkflowTriggerInfo>>(WorkflowTriggerJson.Options)!;
            if (infos.Count == 0)
            {
                Console.WriteLine("No triggers.");
                return 0;
            }

            var table = new TextTable("NAME", "KIND", "WORKFLOW", "ON", "WHEN", "NEXT", "LAST RUN", "LAST ERROR");
            foreach (var info in infos)
            {
                var t = info.Trigger;
                var when = t.Kind switch
                {
                    WorkflowTriggerKind.Cron => $"{t.Schedule} {t.TimeZone ?? "UTC"}",
                    WorkflowTriggerKind.Event => t.Event + (t.Filter is null ? string.Empty : " if " + t.Filter),
                    WorkflowTriggerKind.Webhook => $"POST /api/hooks/{t.Name}",
                    _ => "by hand",
                };
                table.AddRow(t.Name, Kind(t.Kind), t.Workflow + (t.Version is { } v ? $" v{v}" : string.Empty), t.Enabled ? "yes" : "no", when, Time(info.NextFireAt), info.LastRunId, info.LastError);
            }

            Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command GetCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var name = new Argument<string>("name") { Description = "The trigger's name." };
        var format = new Option<string>("--format") { Description = "yaml or json: the trigger as a file create reads back; state: its state as JSON.", DefaultValueFactory = _ => "yaml" };
        format.AcceptOnlyFromAmong("yaml", "json", "state");
        var command = new Command("get", "Print a trigger as YAML or JSON (export), or its state.") { name, format, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var info = await rest.SendAsync<JsonElement>(HttpMethod.Get, "api/triggers/" + Uri.EscapeDataString(result.GetValue(name)!), null, cancellationToken).ConfigureAwait(false);
            var chosen = result.GetValue(format);
            if (chosen == "state")
            {
                Console.WriteLine(info.GetRawText());
                return 0;
            }

            var trigger = info.GetProperty("trigger").Deserialize<WorkflowTrigger>(WorkflowTriggerJson.Options)!;
            Console.Write(WorkflowTriggerDocument.Serialize(trigger, chosen == "json" ? WorkflowDocumentFormat.Json : WorkflowDocumentFormat.Yaml).TrimEnd() + Environment.NewLine);
            return 0;
        });
        return command;
    }

    private static Command CreateCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var file = new Argument<string>("file") { Description = "The trigger, as YAML or JSON (.yaml, .yml, .json; docs/workflows.md, \"Triggers\")." };
        var command = new Command("create", "Create a trigger from a file, or replace the one with its name (operator). A new webhook trigger's secret is printed once.") { file, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var asJson = result.GetValue(json);
            var path = result.GetValue(file)!;
            WorkflowTrigger trigger;
            try
            {
                trigger = await WorkflowTriggerDocument.ParseFileAsync(path, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                throw new CliException($"No file at '{path}'.");
            }
            catch (WorkflowValidationException ex)
            {
                return WorkflowFileCommands.Report(ex.Errors, asJson);
            }

            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var body = JsonSerializer.SerializeToElement(trigger, WorkflowTriggerJson.Options);
            var (answer, refused) = await rest.SendOrRefusalAsync(HttpMethod.Post, "api/triggers", body, HttpStatusCode.BadRequest, cancellationToken).ConfigureAwait(false);
            if (refused is { } problem)
            {
                // The server saw the JSON sent, not the file: its errors name the file but no line.
                return WorkflowFileCommands.Report([.. WorkflowFileCommands.ServerErrors(problem).Select(e => e with { File = path })], asJson);
            }

            if (asJson)
            {
                Console.WriteLine(answer.GetRawText());
                return 0;
            }

            Console.WriteLine(answer.GetProperty("created").GetBoolean() ? $"Created the {Kind(trigger.Kind)} trigger {trigger.Name}." : $"Replaced the trigger {trigger.Name}.");
            PrintSecret(answer, trigger.Name);
            return 0;
        });
        return command;
    }

    private static Command FireCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var name = new Argument<string>("name") { Description = "The trigger's name." };
        var parameters = new Option<string[]>("--param") { Description = "A payload member k=v, over the trigger's parameters (v is read as JSON when it parses). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var parametersJson = new Option<string?>("--params-json") { Description = "The payload as one JSON object." };
        var command = new Command("fire", "Fire a trigger by hand: start a run with its parameters (operator).") { name, parameters, parametersJson, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var payload = JobsCommand.ParseParameters(result.GetValue(parameters) ?? [], result.GetValue(parametersJson));
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var firing = await rest.SendAsync<JsonElement>(HttpMethod.Post, $"api/triggers/{Uri.EscapeDataString(result.GetValue(name)!)}/fire", new { parameters = payload }, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(result.GetValue(json) ? firing.GetRawText() : $"Started run {firing.GetProperty("runId").GetString()}.");
            return 0;
        });
        return command;
    }

    private static Command NameCommand(string verb, string description, HttpMethod method, string suffix)
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var name = new Argument<string>("name") { Description = "The trigger's name." };
        var command = new Command(verb, description + " (operator)") { name, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var trigger = result.GetValue(name)!;
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var path = $"api/triggers/{Uri.EscapeDataString(trigger)}{suffix}";
            if (method == HttpMethod.Delete)
            {
                await rest.SendAsync(method, path, null, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(new { name = trigger, deleted = true }) : $"Deleted the trigger {trigger}.");
                return 0;
            }

            var answer = await rest.SendAsync<JsonElement>(method, path, null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(answer.GetRawText());
            }
            else if (verb == "rotate-secret")
            {
                PrintSecret(answer, trigger);
            }
            else
            {
                var next = answer.TryGetProperty("nextFireAt", out var at) && at.ValueKind == JsonValueKind.String ? $"; next at {Time(at.GetDateTimeOffset())}" : string.Empty;
                Console.WriteLine($"The trigger {trigger} is {verb}d{next}.");
            }

            return 0;
        });
        return command;
    }

    private static void PrintSecret(JsonElement answer, string name)
    {
        if (answer.TryGetProperty("secret", out var secret) && secret.ValueKind == JsonValueKind.String)
        {
            Console.WriteLine($"Webhook secret (shown once; keep it where the sender can use it): {secret.GetString()}");
            Console.WriteLine($"Sign each delivery to POST /api/hooks/{name}: X-OrbitMesh-Timestamp = Unix seconds, X-OrbitMesh-Signature = sha256=HEX(HMAC-SHA256(secret, \"TIMESTAMP.BODY\")).");
        }
    }

    private static string Kind(WorkflowTriggerKind kind) => JsonSerializer.Serialize(kind, WorkflowTriggerJson.Options).Trim('"');

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
}
