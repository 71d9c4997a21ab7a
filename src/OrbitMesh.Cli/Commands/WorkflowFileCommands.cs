using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh workflows apply FILE [--dry-run]</c> and <c>validate FILE [--offline]</c>: a definition
/// file in JSON or YAML is read here first, so that every syntax, schema and graph error is printed as
/// <c>file:line:column: message</c>; the server then checks what only it knows (registered step
/// types, stored versions), and its errors are located in the file by step.
/// </summary>
internal static class WorkflowFileCommands
{
    public static Command Apply()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what registering would change (new version, steps added, removed, changed) and store nothing." };
        return Create("apply", "Register a definition from a JSON or YAML file (admin). A version, once registered, never changes.", dryRun, null);
    }

    public static Command Validate()
    {
        var offline = new Option<bool>("--offline") { Description = "Check syntax, schema and graph here without asking a server (class step types are not checked)." };
        return Create("validate", "Check a definition file and list every problem with its line and column; registers nothing.", null, offline);
    }

    private static Command Create(string name, string description, Option<bool>? dryRun, Option<bool>? offline)
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var file = new Argument<string>("file") { Description = "The definition, as JSON or YAML (.json, .yaml, .yml; docs/workflows.md)." };
        var command = new Command(name, description) { file, server, apiKey, json };
        if (dryRun is not null)
        {
            command.Options.Add(dryRun);
        }

        if (offline is not null)
        {
            command.Options.Add(offline);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var asJson = result.GetValue(json);
            var path = result.GetValue(file)!;
            WorkflowDocument document;
            try
            {
                document = await WorkflowDocument.ReadFileAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                throw new CliException($"No file at '{path}'.");
            }
            catch (WorkflowValidationException ex)
            {
                return Report(ex.Errors, asJson);
            }

            var local = document.Validate();
            if (local.Count > 0)
            {
                return Report(local, asJson);
            }

            var definition = document.Definition;
            if (offline is not null && result.GetValue(offline))
            {
                Print(asJson, new { valid = true, name = definition.Name, version = definition.Version, steps = definition.Steps.Count }, $"{definition.Name} v{definition.Version} is valid ({definition.Steps.Count} steps; class step types not checked offline).");
                return 0;
            }

            var isDryRun = dryRun is not null && result.GetValue(dryRun);
            var endpoint = name == "validate" ? "api/workflows/validate" : isDryRun ? "api/workflows?dryRun=true" : "api/workflows";
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var body = JsonDocument.Parse(WorkflowJson.SerializeToUtf8Bytes(definition)).RootElement;
            var (answer, refused) = await rest.SendOrRefusalAsync(HttpMethod.Post, endpoint, body, HttpStatusCode.BadRequest, cancellationToken).ConfigureAwait(false);
            if (refused is { } problem)
            {
                return Report(document.Locate(ServerErrors(problem)), asJson);
            }

            if (asJson)
            {
                Console.WriteLine(answer.GetRawText());
                return 0;
            }

            if (isDryRun)
            {
                PrintPlan(answer.Deserialize<WorkflowDefinitionPlan>(OrbitMeshJson.Options)!);
                return 0;
            }

            var steps = answer.GetProperty("steps").GetInt32();
            Console.WriteLine(name == "validate"
                ? $"{definition.Name} v{definition.Version} is valid ({steps} steps)."
                : answer.GetProperty("created").GetBoolean()
                    ? $"Registered {definition.Name} v{definition.Version} ({steps} steps)."
                    : $"{definition.Name} v{definition.Version} is already registered with this content; nothing changed.");
            return 0;
        });
        return command;
    }

    internal static IEnumerable<WorkflowValidationError> ServerErrors(JsonElement problem)
    {
        if (!problem.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
        {
            yield return new WorkflowValidationError(
                problem.TryGetProperty("code", out var code) ? code.GetString() ?? "bad_request" : "bad_request",
                problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "The server refused the definition." : "The server refused the definition.");
            yield break;
        }

        foreach (var error in errors.EnumerateArray())
        {
            // The server saw the JSON this command sent, not the file: its positions are dropped and the error is located in the file by its step.
            yield return new WorkflowValidationError(
                error.GetProperty("code").GetString() ?? "bad_request",
                error.GetProperty("message").GetString() ?? string.Empty,
                error.TryGetProperty("stepId", out var step) && step.ValueKind == JsonValueKind.String ? step.GetString() : null);
        }
    }

    internal static int Report(IReadOnlyList<WorkflowValidationError> errors, bool asJson)
    {
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { valid = false, errors }, OrbitMeshJson.Options));
        }
        else
        {
            foreach (var error in errors)
            {
                Console.Error.WriteLine($"{error} [{error.Code}]");
            }

            Console.Error.WriteLine(errors.Count == 1 ? "1 error." : $"{errors.Count} errors.");
        }

        return 1;
    }

    private static void PrintPlan(WorkflowDefinitionPlan plan)
    {
        var what = plan.Outcome switch
        {
            "new" => $"would register {plan.Name} v{plan.Version}, a new workflow",
            "newVersion" => $"would register {plan.Name} v{plan.Version} (latest is v{plan.LatestVersion})",
            "unchanged" => $"{plan.Name} v{plan.Version} is already registered with this content; nothing would change",
            _ => $"would be refused: {plan.Name} v{plan.Version} is registered with other content (register v{(plan.LatestVersion ?? 0) + 1})",
        };
        Console.WriteLine($"Dry run: {what}.");
        if (plan.ComparedWith is { } compared && plan.Outcome != "unchanged")
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Compared with v{compared}:"));
            Console.WriteLine($"  steps added:   {List(plan.StepsAdded)}");
            Console.WriteLine($"  steps removed: {List(plan.StepsRemoved)}");
            Console.WriteLine($"  steps changed: {List(plan.StepsChanged)}");
        }

        Console.WriteLine("Nothing was stored.");
    }

    private static string List(IReadOnlyList<string> ids) => ids.Count == 0 ? "none" : string.Join(", ", ids);

    private static void Print(bool asJson, object value, string text) =>
        Console.WriteLine(asJson ? JsonSerializer.Serialize(value, OrbitMeshJson.Options) : text);
}
