using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh workflows apply|validate|list|get|run|runs|show|pause|resume|cancel</c>: workflow
/// definitions (admin registers, everyone reads) and their runs (operators start and steer them).
/// </summary>
internal static class WorkflowsCommand
{
    public static Command Create() => new("workflows", "Workflow definitions and runs.")
    {
        WorkflowFileCommands.Apply(),
        WorkflowFileCommands.Validate(),
        ListCommand(),
        GetCommand(),
        RunCommand(),
        RunsCommand(),
        ShowCommand(),
        ControlCommand("pause", "Pause a run: no new step starts; running steps finish.", withCompensate: false),
        ControlCommand("resume", "Resume a paused run.", withCompensate: false),
        ControlCommand("cancel", "Cancel a run: its running step jobs are cancelled on their agents.", withCompensate: true),
    };

    private static Command ListCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var command = new Command("list", "List the registered workflows and their versions.") { server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var workflows = await rest.SendAsync<List<WorkflowDefinitionInfo>>(HttpMethod.Get, "api/workflows", null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(workflows, OrbitMeshJson.Options));
                return 0;
            }

            if (workflows.Count == 0)
            {
                Console.WriteLine("No workflows are registered.");
                return 0;
            }

            var table = new TextTable("NAME", "LATEST", "VERSIONS", "STEPS", "DESCRIPTION");
            foreach (var w in workflows)
            {
                table.AddRow(w.Name, w.LatestVersion.ToString(CultureInfo.InvariantCulture), string.Join(",", w.Versions), w.Steps.ToString(CultureInfo.InvariantCulture), w.Description);
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
        var name = new Argument<string>("name") { Description = "The workflow's name." };
        var version = new Option<int?>("--version") { Description = "A version (default: the latest)." };
        var format = new Option<string>("--format") { Description = "json or yaml (a file apply reads back to the same definition).", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "yaml");
        var command = new Command("get", "Print a registered definition as JSON or YAML (export).") { name, version, format, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var path = "api/workflows/" + Uri.EscapeDataString(result.GetValue(name)!) + (result.GetValue(version) is { } v ? $"?version={v}" : string.Empty);
            var definition = await rest.SendAsync<JsonElement>(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
            var chosen = result.GetValue(format) == "yaml" ? WorkflowDocumentFormat.Yaml : WorkflowDocumentFormat.Json;
            Console.Write(WorkflowDocument.Serialize(WorkflowJson.Deserialize(definition.GetRawText()), chosen).TrimEnd() + Environment.NewLine);
            return 0;
        });
        return command;
    }

    private static Command RunCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var name = new Argument<string>("name") { Description = "The workflow's name." };
        var parameters = new Option<string[]>("--param") { Description = "A run parameter k=v (v is read as JSON when it parses, else as a string). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var parametersJson = new Option<string?>("--params-json") { Description = "All run parameters as one JSON object." };
        var version = new Option<int?>("--version") { Description = "Run this version (default: the latest)." };
        var secrets = new Option<string[]>("--secret") { Description = "A secret NAME=VALUE that steps read as ${{ secrets.NAME }}: stored encrypted, shown as NAME=***, given only to the steps that read it. Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var secretFile = new Option<string?>("--secret-file") { Description = "Secrets from a file of NAME=VALUE lines or one JSON object of names to strings; - reads standard input." };
        var wait = new Option<bool>("--wait") { Description = "Show the steps live until the run ends; exit non-zero unless it succeeded." };
        var rolling = new Option<int?>("--rolling") { Description = "Run one instance per matching agent in batches of this percent (1-100); a failed batch stops and rolls back the instances done." };
        var onAll = new Option<bool>("--on-all") { Description = "Run one instance per matching agent, all at once." };
        var capability = new Option<string?>("--capability") { Description = "With --rolling or --on-all: only agents with this capability." };
        var group = new Option<string?>("--group") { Description = "With --rolling or --on-all: only agents in this group." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List where each step would go now and why other agents would not; start nothing (exit 1 when a step would reach no agent)." };
        var command = new Command("run", "Start a run of a registered workflow (operator).") { name, parameters, parametersJson, secrets, secretFile, version, wait, rolling, onAll, capability, group, dryRun, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var runParameters = JobsCommand.ParseParameters(result.GetValue(parameters) ?? [], result.GetValue(parametersJson));
            var runSecrets = WorkflowSecretOptions.Parse(result.GetValue(secrets) ?? [], result.GetValue(secretFile));
            var body = new
            {
                parameters = runParameters,
                secrets = runSecrets,
                version = result.GetValue(version),
            };
            var serverUrl = result.GetValue(server)!;
            if (result.GetValue(dryRun))
            {
                return await DryRunCommands.WorkflowAsync(serverUrl, result.GetValue(apiKey), result.GetValue(name)!, result.GetValue(version), result.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            using var rest = new RestCall(serverUrl, result.GetValue(apiKey));
            if (result.GetValue(rolling) is not null || result.GetValue(onAll))
            {
                if (runSecrets is not null)
                {
                    throw new CliException("--secret and --secret-file work with a single run, not with --rolling or --on-all.");
                }

                return await PerAgentAsync(rest, result.GetValue(name)!, runParameters, result.GetValue(rolling), result.GetValue(capability), result.GetValue(group), result.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            var run = await rest.SendAsync<WorkflowRun>(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(result.GetValue(name)!)}/runs", body, cancellationToken).ConfigureAwait(false);
            if (!result.GetValue(wait))
            {
                Console.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(run, OrbitMeshJson.Options) : $"Started run {run.RunId} of {run.Workflow} v{run.Version}.{WorkflowRunView.SecretsSuffix(run)}");
                return 0;
            }

            // Fold the run's event stream (resumed with Last-Event-ID if the connection drops) into a live table.
            // Step jobs' progress is followed only when the table is drawn; redraws come from the run's
            // events and from progress reports, one at a time.
            using var mesh = CommonOptions.MeshClient(serverUrl, result.GetValue(apiKey));
            var drawn = !result.GetValue(json) && !Console.IsErrorRedirected;
            var live = new LiveBlock(Console.Error, enabled: drawn);
            var gate = new Lock();
            WorkflowRun? current = null;
            StepJobProgress? progress = null;
            void Redraw()
            {
                lock (gate)
                {
                    if (current is not null)
                    {
                        live.Show(WorkflowRunView.Render(current, DateTimeOffset.UtcNow, progress is null ? null : progress.Of));
                    }
                }
            }

            progress = drawn ? new StepJobProgress(mesh, Redraw, cancellationToken) : null;
            await using (progress)
            {
                WorkflowRunState? state = null;
                await foreach (var e in mesh.WatchWorkflowRunAsync(run.RunId, 0, cancellationToken).ConfigureAwait(false))
                {
                    if (state is null)
                    {
                        state = WorkflowRunState.Replay(run.RunId, [e]);
                    }
                    else
                    {
                        state.Apply(e);
                    }

                    lock (gate)
                    {
                        current = state.ToRun();
                    }

                    progress?.Follow(current);
                    Redraw();
                }
            }

            lock (gate)
            {
                current = null;
                live.Clear();
            }

            var final = await rest.SendAsync<WorkflowRun>(HttpMethod.Get, "api/workflow-runs/" + Uri.EscapeDataString(run.RunId), null, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(final, OrbitMeshJson.Options) + Environment.NewLine : WorkflowRunView.Render(final, DateTimeOffset.UtcNow));
            if (final.Status != WorkflowRunStatus.Succeeded)
            {
                throw new CliException($"Run {final.RunId} ended {WorkflowRunView.Name(final.Status)}: {final.Reason ?? "no reason given"}");
            }

            return 0;
        });
        return command;
    }

    private static async Task<int> PerAgentAsync(RestCall rest, string name, JsonElement? parameters, int? rolling, string? capability, string? group, bool json, CancellationToken cancellationToken)
    {
        if (rolling is < 1 or > 100)
        {
            throw new CliException($"--rolling must be between 1 and 100; it is {rolling}.");
        }

        if (capability is not null && group is not null)
        {
            throw new CliException("Give --capability or --group, not both.");
        }

        var target = capability is not null ? AgentTarget.WithCapability(capability) : group is not null ? AgentTarget.InGroup(group) : null;
        var path = $"api/workflows/{Uri.EscapeDataString(name)}/{(rolling is null ? "all" : "rolling")}";
        Console.Error.WriteLine(rolling is null ? $"Running {name} on every matching agent..." : $"Rolling {name} out in batches of {rolling} %...");
        if (rolling is null)
        {
            var runs = await rest.SendAsync<List<WorkflowRun>>(HttpMethod.Post, path, new { parameters, target }, cancellationToken).ConfigureAwait(false);
            Console.Write(json ? JsonSerializer.Serialize(runs, OrbitMeshJson.Options) + Environment.NewLine : WorkflowRunView.RenderInstances(runs));
            var failed = runs.Count(r => r.Status != WorkflowRunStatus.Succeeded);
            return failed == 0 ? 0 : throw new CliException($"{failed} of {runs.Count} instances did not succeed.");
        }

        var rollout = await rest.SendAsync<WorkflowRolloutResult>(HttpMethod.Post, path, new { parameters, target, batchPercent = rolling }, cancellationToken).ConfigureAwait(false);
        Console.Write(json ? JsonSerializer.Serialize(rollout, OrbitMeshJson.Options) + Environment.NewLine : WorkflowRunView.RenderRollout(rollout));
        return rollout.Completed ? 0 : throw new CliException($"The rollout stopped at run {rollout.FailedRunId}; {rollout.RolledBack.Count} instances were rolled back, {rollout.SkippedAgents.Count} agents skipped.");
    }

    private static Command RunsCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var workflow = new Option<string?>("--workflow") { Description = "Only runs of this workflow." };
        var status = new Option<string?>("--status") { Description = "Only runs in this status (running, paused, compensating, succeeded, failed, cancelled, compensationFailed)." };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1-1000, default 100)." };
        var command = new Command("runs", "List workflow runs, newest first.") { workflow, status, limit, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var query = new List<string>();
            if (result.GetValue(workflow) is { } w)
            {
                query.Add("workflow=" + Uri.EscapeDataString(w));
            }

            if (result.GetValue(status) is { } s)
            {
                query.Add("status=" + Uri.EscapeDataString(s));
            }

            if (result.GetValue(limit) is { } l)
            {
                query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
            }

            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var runs = await rest.SendAsync<List<WorkflowRunSummary>>(HttpMethod.Get, "api/workflow-runs" + (query.Count > 0 ? "?" + string.Join("&", query) : string.Empty), null, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(runs, OrbitMeshJson.Options) + Environment.NewLine : WorkflowRunView.RenderList(runs));
            return 0;
        });
        return command;
    }

    private static Command ShowCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var id = new Argument<string>("run") { Description = "The run's id." };
        var command = new Command("show", "Show a run with each step's state, attempts and job.") { id, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var run = await rest.SendAsync<WorkflowRun>(HttpMethod.Get, "api/workflow-runs/" + Uri.EscapeDataString(result.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(run, OrbitMeshJson.Options) + Environment.NewLine : WorkflowRunView.Render(run, DateTimeOffset.UtcNow));
            return 0;
        });
        return command;
    }

    private static Command ControlCommand(string verb, string description, bool withCompensate)
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var id = new Argument<string>("run") { Description = "The run's id." };
        var reason = new Option<string?>("--reason") { Description = "Why, recorded in the run's history." };
        var compensate = new Option<bool>("--compensate") { Description = "Undo the completed steps (their compensations run in reverse order)." };
        var command = new Command(verb, description) { id, reason, server, apiKey, json };
        if (withCompensate)
        {
            command.Add(compensate);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var body = new { reason = result.GetValue(reason), compensate = withCompensate && result.GetValue(compensate) };
            var run = await rest.SendAsync<WorkflowRun>(HttpMethod.Post, $"api/workflow-runs/{Uri.EscapeDataString(result.GetValue(id)!)}/{verb}", body, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(result.GetValue(json) ? JsonSerializer.Serialize(run, OrbitMeshJson.Options) : $"Run {run.RunId}: {verb} recorded; it is {WorkflowRunView.Name(run.Status)}.");
            return 0;
        });
        return command;
    }
}
