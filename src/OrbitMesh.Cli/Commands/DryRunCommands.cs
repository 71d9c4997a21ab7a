using System.Text.Json;
using OrbitMesh.Cli.Output;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>jobs submit --dry-run</c> and <c>workflows run --dry-run</c>: ask the server where the job, or
/// each step, would go now and why the other agents would not take it; nothing is submitted. Exits 1
/// when something would reach no agent (an empty target is an error, never "all agents").
/// </summary>
internal static class DryRunCommands
{
    public static async Task<int> JobAsync(string server, string? apiKey, string command, AgentTarget? target, bool asJson, CancellationToken cancellationToken)
    {
        using var rest = new RestCall(server, apiKey);
        var plan = await rest.SendAsync<JsonElement>(HttpMethod.Post, "api/jobs/dry-run", new { command, target }, cancellationToken).ConfigureAwait(false);
        if (asJson)
        {
            Console.WriteLine(plan.GetRawText());
        }
        else
        {
            PrintPlan(plan, indent: string.Empty);
            Console.WriteLine("Dry run: nothing was submitted.");
        }

        return plan.GetProperty("wouldRun").GetBoolean() ? 0 : 1;
    }

    public static async Task<int> WorkflowAsync(string server, string? apiKey, string name, int? version, bool asJson, CancellationToken cancellationToken)
    {
        using var rest = new RestCall(server, apiKey);
        var answer = await rest.SendAsync<JsonElement>(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(name)}/dry-run", new { version }, cancellationToken).ConfigureAwait(false);
        if (asJson)
        {
            Console.WriteLine(answer.GetRawText());
        }
        else
        {
            Console.WriteLine($"{answer.GetProperty("name").GetString()} v{answer.GetProperty("version").GetInt32()}:");
            foreach (var step in answer.GetProperty("steps").EnumerateArray())
            {
                var condition = step.TryGetProperty("condition", out var c) && c.ValueKind == JsonValueKind.String ? $" (if {c.GetString()})" : string.Empty;
                Console.WriteLine($"step {step.GetProperty("stepId").GetString()}{condition}:");
                if (step.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.Object)
                {
                    PrintPlan(plan, indent: "  ");
                }
                else
                {
                    Console.WriteLine($"  runs on the server (class {step.GetProperty("stepType").GetString()}).");
                }
            }

            Console.WriteLine("Dry run: nothing was started.");
        }

        return answer.GetProperty("wouldRun").GetBoolean() ? 0 : 1;
    }

    private static void PrintPlan(JsonElement plan, string indent)
    {
        Console.WriteLine(indent + plan.GetProperty("message").GetString());
        var table = new TextTable("AGENT", "VERDICT", "WHY");
        foreach (var agent in plan.GetProperty("eligible").EnumerateArray())
        {
            table.AddRow(agent.GetProperty("agentId").GetString(), "eligible", $"{agent.GetProperty("jobsInFlight").GetInt32()}/{agent.GetProperty("maxConcurrentJobs").GetInt32()} jobs");
        }

        foreach (var agent in plan.GetProperty("excluded").EnumerateArray())
        {
            table.AddRow(agent.GetProperty("agentId").GetString(), "excluded", agent.GetProperty("detail").GetString());
        }

        foreach (var line in table.ToString()!.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Console.WriteLine(indent + line);
        }
    }
}
