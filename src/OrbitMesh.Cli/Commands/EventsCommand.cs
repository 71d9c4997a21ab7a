using System.CommandLine;
using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh events post TYPE --data JSON</c>: posts a custom event; the event triggers it matches start their runs.</summary>
internal static class EventsCommand
{
    public static Command Create() => new("events", "Custom events for event triggers.") { PostCommand() };

    private static Command PostCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var type = new Argument<string>("type") { Description = "The event type, such as deploy.requested (agent.*, job.*, workflow.*, trigger.* are the server's own)." };
        var data = new Option<string?>("--data") { Description = "The event's data, a JSON object; runs it starts get its members as parameters." };
        var command = new Command("post", "Post an event (operator) and list the runs the matching triggers started.") { type, data, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            JsonElement? payload = null;
            if (result.GetValue(data) is { } text)
            {
                try
                {
                    payload = JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException ex)
                {
                    throw new CliException($"--data is not JSON: {ex.Message}");
                }
            }

            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var answer = await rest.SendAsync<JsonElement>(HttpMethod.Post, "api/events", new { type = result.GetValue(type), data = payload }, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(answer.GetRawText());
                return 0;
            }

            var runs = answer.GetProperty("runs").EnumerateArray().ToList();
            Console.WriteLine($"Posted {answer.GetProperty("type").GetString()} event {answer.GetProperty("id").GetString()}: {(runs.Count == 0 ? "no trigger matched" : $"{runs.Count} trigger(s) matched")}.");
            foreach (var run in runs)
            {
                var trigger = run.GetProperty("trigger").GetString();
                Console.WriteLine(run.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                    ? $"  {trigger}: no run ({error.GetString()})"
                    : $"  {trigger}: run {run.GetProperty("runId").GetString()}{(run.GetProperty("started").GetBoolean() ? string.Empty : " (already started for this event)")}");
            }

            return runs.Any(r => r.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String) ? 1 : 0;
        });
        return command;
    }
}
