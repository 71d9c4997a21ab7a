using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Api;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh jobs submit|get|list|cancel</c>.</summary>
internal static class JobsCommand
{
    public static Command Create() => new("jobs", "Submit, inspect and cancel jobs.")
    {
        Submit(),
        Get(),
        List(),
        Cancel(),
        Events(),
    };

    private static Command Submit()
    {
        var command = new Argument<string>("COMMAND") { Description = "The command an agent handler is registered under." };
        var agent = new Option<string?>("--agent") { Description = "Run on this agent." };
        var capability = new Option<string?>("--capability") { Description = "Run on an agent with this capability." };
        var group = new Option<string?>("--group") { Description = "Run on an agent in this group." };
        var parameters = new Option<string[]>("--param") { Description = "A parameter k=v (v is read as JSON when it parses, else as a string). Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var parametersJson = new Option<string?>("--params-json") { Description = "All parameters as one JSON object." };
        var secrets = new Option<string[]>("--secret") { Description = "The name of a parameter that is a secret: stored encrypted, shown as [redacted]. Repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var key = new Option<string?>("--idempotency-key") { Description = "Submitting again with the same key returns the same job." };
        var priority = new Option<JobPriority>("--priority") { Description = "Low, Normal or High.", DefaultValueFactory = _ => JobPriority.Normal };
        var timeout = new Option<double?>("--timeout") { Description = "Per-attempt timeout in seconds." };
        var attempts = new Option<int>("--max-attempts") { Description = "Attempts before dead-lettering.", DefaultValueFactory = _ => 1 };
        var wait = new Option<bool>("--wait") { Description = "Wait for the job to end, showing progress; exit non-zero unless it completed." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List which agent the job would go to now and why each other agent would not; submit nothing (exit 1 when none would take it)." };
        var stream = new Option<bool>("--stream") { Description = "Run as a streaming job and print each item as it arrives (implies --wait)." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();

        var submit = new Command("submit", "Submit a job.") { command, agent, capability, group, parameters, parametersJson, secrets, key, priority, timeout, attempts, wait, stream, dryRun, server, apiKey, json };
        submit.SetAction(async (result, cancellationToken) =>
        {
            var targets = new[] { result.GetValue(agent), result.GetValue(capability), result.GetValue(group) }.Count(t => t is not null);
            if (targets > 1)
            {
                throw new CliException("Give at most one of --agent, --capability and --group.");
            }

            var request = new JobRequest
            {
                Command = result.GetValue(command)!,
                Parameters = ParseParameters(result.GetValue(parameters) ?? [], result.GetValue(parametersJson)),
                Target = result.GetValue(agent) is { } a ? AgentTarget.ForAgent(a)
                    : result.GetValue(capability) is { } c ? AgentTarget.WithCapability(c)
                    : result.GetValue(group) is { } g ? AgentTarget.InGroup(g) : null,
                IdempotencyKey = result.GetValue(key),
                Priority = result.GetValue(priority),
                Timeout = result.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                MaxAttempts = result.GetValue(attempts),
                SecretParameters = result.GetValue(secrets) is { Length: > 0 } names ? names : null,
            };

            if (result.GetValue(dryRun))
            {
                return await DryRunCommands.JobAsync(result.GetValue(server)!, result.GetValue(apiKey), request.Command, request.Target, result.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var asJson = result.GetValue(json);
            if (result.GetValue(stream))
            {
                return await StreamAsync(mesh, request with { Pattern = ExecutionPattern.Streaming }, cancellationToken).ConfigureAwait(false);
            }

            if (!result.GetValue(wait))
            {
                var accepted = await mesh.SubmitForAnswerAsync(request with { Pattern = ExecutionPattern.FireAndForget }, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(asJson
                    ? JsonSerializer.Serialize(accepted, OrbitMeshJson.Options)
                    : accepted.Existing
                        ? $"Job {accepted.Id} already exists for idempotency key '{request.IdempotencyKey}' ({accepted.Status}); nothing new was submitted."
                        : $"Submitted job {accepted.Id} ({accepted.Status}).");
                return 0;
            }

            await EnsureSomeAgentCanRunAsync(mesh, request, cancellationToken).ConfigureAwait(false);
            var submitted = await mesh.SubmitAsync(request with { Pattern = ExecutionPattern.LongRunning }, cancellationToken).ConfigureAwait(false);
            if (!asJson)
            {
                Console.Error.WriteLine($"Submitted job {submitted.Id}; waiting for it to end (Ctrl-C stops waiting; the job goes on).");
            }

            var progress = new ProgressBar(Console.Error, enabled: !asJson && !Console.IsErrorRedirected);
            JobEvent? last = null;
            await foreach (var jobEvent in mesh.WatchJobAsync(submitted.Id, cancellationToken).ConfigureAwait(false))
            {
                last = jobEvent;
                if (jobEvent.Type == JobEventType.Progress)
                {
                    progress.Show(jobEvent.Percent, jobEvent.Message);
                }
            }

            progress.Clear();
            var final = await mesh.GetJobAsync(submitted.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"Job {submitted.Id} disappeared.");
            Console.Write(asJson ? JsonSerializer.Serialize(JobView.From(final), OrbitMeshJson.Options) + Environment.NewLine : Describe(final));
            if (final.Status != JobStatus.Completed)
            {
                throw new CliException($"Job {final.Id} ended {final.Status}: {final.Error?.Message ?? "no reason given"}");
            }

            return last is null ? 1 : 0;
        });
        return submit;
    }

    private static Command Get()
    {
        var id = new Argument<string>("ID") { Description = "The job id." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var get = new Command("get", "Show one job.") { id, server, apiKey, json };
        get.SetAction(async (result, cancellationToken) =>
        {
            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var job = await mesh.GetJobAsync(result.GetValue(id)!, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"No job with id '{result.GetValue(id)}' exists.");
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(JobView.From(job), OrbitMeshJson.Options) + Environment.NewLine : Describe(job));
            return 0;
        });
        return get;
    }

    private static Command List()
    {
        var status = new Option<string?>("--status") { Description = "Only jobs in this status (e.g. Running, DeadLettered)." };
        var limit = new Option<int>("--limit") { Description = "At most this many (1 to 1000).", DefaultValueFactory = _ => 50 };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var agentFilter = new Option<string?>("--agent") { Description = "Only jobs of this agent." };
        var commandFilter = new Option<string?>("--command") { Description = "Only jobs of this command." };
        var correlation = new Option<string?>("--correlation") { Description = "Only jobs with this correlation id (a workflow run's id lists its step jobs)." };
        var list = new Command("list", "List recent jobs, newest first.") { status, limit, agentFilter, commandFilter, correlation, server, apiKey, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            JobStatus? wanted = null;
            if (result.GetValue(status) is { } text)
            {
                wanted = Enum.TryParse<JobStatus>(text, ignoreCase: true, out var parsed) && !int.TryParse(text, out _)
                    ? parsed
                    : throw new CliException($"Unknown status '{text}'; expected one of: {string.Join(", ", Enum.GetNames<JobStatus>())}.");
            }

            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var jobs = await mesh.ListJobsAsync(new JobQuery
            {
                Status = wanted,
                Limit = result.GetValue(limit),
                AgentId = result.GetValue(agentFilter),
                Command = result.GetValue(commandFilter),
                CorrelationId = result.GetValue(correlation),
            }, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(jobs.Select(JobView.From).ToList(), OrbitMeshJson.Options));
                return 0;
            }

            if (jobs.Count == 0)
            {
                Console.WriteLine("No jobs.");
                return 0;
            }

            var table = new Output.TextTable("ID", "COMMAND", "STATUS", "AGENT", "ATTEMPTS", "CREATED");
            foreach (var job in jobs)
            {
                table.AddRow(job.Id, job.Command, job.Status.ToString(), job.AgentId ?? "", job.Attempt.ToString(CultureInfo.InvariantCulture),
                    job.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            Console.Write(table.ToString());
            return 0;
        });
        return list;
    }

    private static Command Events()
    {
        var id = new Argument<string>("ID") { Description = "The job id." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var events = new Command("events", "Follow a job's events (status, progress, stream items) until it ends; one line each, or one JSON document per line with --json.") { id, server, apiKey, json };
        events.SetAction(async (result, cancellationToken) =>
        {
            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var jobId = result.GetValue(id)!;
            _ = await mesh.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false) ?? throw new CliException($"No job with id '{jobId}' exists.");
            await foreach (var e in mesh.WatchJobAsync(jobId, cancellationToken).ConfigureAwait(false))
            {
                Console.WriteLine(result.GetValue(json)
                    ? JsonSerializer.Serialize(e, OrbitMeshJson.Options)
                    : e.Type switch
                    {
                        JobEventType.Progress => $"{e.Timestamp:HH:mm:ss.fff} #{e.Sequence} progress {e.Percent:0.#}% {e.Message}",
                        JobEventType.Item => $"{e.Timestamp:HH:mm:ss.fff} #{e.Sequence} item {e.Item?.GetRawText()}",
                        _ => $"{e.Timestamp:HH:mm:ss.fff} #{e.Sequence} {e.Status}{(e.AgentId is null ? string.Empty : " on " + e.AgentId)}{(e.Error is null ? string.Empty : ": " + e.Error.Message)}",
                    });
            }

            return 0;
        });
        return events;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("ID") { Description = "The job id." };
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var cancel = new Command("cancel", "Cancel a job.") { id, server, apiKey };
        cancel.SetAction(async (result, cancellationToken) =>
        {
            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var jobId = result.GetValue(id)!;
            if (!await mesh.CancelJobAsync(jobId, cancellationToken).ConfigureAwait(false))
            {
                var job = await mesh.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false);
                throw new CliException(job is null ? $"No job with id '{jobId}' exists." : $"Job {jobId} already ended {job.Status}.");
            }

            Console.WriteLine($"Cancellation requested for job {jobId}.");
            return 0;
        });
        return cancel;
    }

    /// <summary>
    /// <c>--stream</c>: the job's id on stderr first, then each item on stdout as it comes; a job that does
    /// not complete is an error, and leaving early (Ctrl-C) cancels the job, as the stream's consumer is gone.
    /// </summary>
    private static async Task<int> StreamAsync(OrbitMesh.Client.MeshHttpClient mesh, JobRequest request, CancellationToken cancellationToken)
    {
        string? jobId = null;
        JobEvent? final = null;
        try
        {
            await foreach (var e in mesh.SubmitAndWatchAsync(request, cancellationToken).ConfigureAwait(false))
            {
                if (jobId is null)
                {
                    jobId = e.JobId;
                    Console.Error.WriteLine($"Streaming job {jobId}.");
                }

                if (e.Type == JobEventType.Item && e.Item is { } item)
                {
                    Console.WriteLine(item.GetRawText());
                }
                else if (e.IsFinal)
                {
                    final = e;
                }
            }
        }
        finally
        {
            if (final is null && jobId is not null)
            {
                await mesh.CancelJobAsync(jobId, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return final is { Status: JobStatus.Completed } ? 0
            : throw new CliException($"Job {jobId} ended {final?.Status.ToString() ?? "without a final status"}: {final?.Error?.Message ?? "no reason given"}");
    }

    /// <summary>
    /// With <c>--wait</c>, a job no connected agent can take would only wait out its timeout in silence:
    /// refuse it at once, saying why. (Without <c>--wait</c> it is queued for an agent that connects later.)
    /// </summary>
    private static async Task EnsureSomeAgentCanRunAsync(OrbitMesh.Client.MeshHttpClient mesh, JobRequest request, CancellationToken cancellationToken)
    {
        var agents = await mesh.GetAgentsAsync(cancellationToken).ConfigureAwait(false);
        var target = request.Target;
        var matching = agents.Where(a => a.Status is AgentStatus.Ready or AgentStatus.Running)
            .Where(a => target is null || target.Matches(a))
            .ToList();
        if (matching.Count == 0)
        {
            throw new CliException($"No connected agent matches {target?.ToString() ?? "any agent"}, so '{request.Command}' cannot run now; without --wait the job is queued until one connects.");
        }

        if (!matching.Any(a => a.Commands.Count == 0 || Protocol.CommandFamilies.Covers(a.Commands.ToHashSet(StringComparer.Ordinal), request.Command)))
        {
            throw new CliException($"No connected agent{(target is null ? string.Empty : " matching " + target)} has a handler for '{request.Command}' ({string.Join(", ", matching.Take(5).Select(a => a.Id))} do not); without --wait the job is queued until one connects.");
        }
    }

    /// <summary>Builds the parameters object from <c>k=v</c> pairs (v as JSON when it parses) and/or one JSON object.</summary>
    internal static JsonElement? ParseParameters(IReadOnlyList<string> pairs, string? json)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (json is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new CliException("--params-json must be a JSON object.");
                }

                foreach (var property in document.RootElement.EnumerateObject())
                {
                    values[property.Name] = property.Value.Clone();
                }
            }
            catch (JsonException ex)
            {
                throw new CliException($"--params-json is not valid JSON: {ex.Message}");
            }
        }

        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--param '{pair}' must look like name=value.");
            }

            var name = pair[..equals];
            var raw = pair[(equals + 1)..];
            JsonElement value;
            try
            {
                using var document = JsonDocument.Parse(raw);
                value = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                value = JsonSerializer.SerializeToElement(raw, OrbitMeshJson.Options);
            }

            values[name] = value;
        }

        return values.Count == 0 ? null : JsonSerializer.SerializeToElement(values, OrbitMeshJson.Options);
    }

    internal static string Describe(JobRecord job)
    {
        var lines = new List<(string, string?)>
        {
            ("id", job.Id),
            ("command", job.Command),
            ("status", job.Status.ToString()),
            ("agent", job.AgentId),
            ("attempts", job.Attempt.ToString(CultureInfo.InvariantCulture)),
            ("progress", job.ProgressPercent is { } p ? $"{p:0}% {job.ProgressMessage}".TrimEnd() : null),
            ("result", job.Result?.GetRawText()),
            ("error", job.Error?.ToString()),
            ("created", job.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
            ("completed", job.CompletedAt?.ToString("u", CultureInfo.InvariantCulture)),
        };
        return string.Concat(lines.Where(l => l.Item2 is not null).Select(l => $"{l.Item1,-10} {l.Item2}{Environment.NewLine}"));
    }

    /// <summary>A one-line progress bar redrawn in place on a terminal.</summary>
    private sealed class ProgressBar(TextWriter writer, bool enabled)
    {
        private const int Width = 30;

        public void Show(double? percent, string? message)
        {
            if (!enabled)
            {
                return;
            }

            var filled = (int)Math.Round(Math.Clamp(percent ?? 0, 0, 100) / 100 * Width);
            writer.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {percent ?? 0,3:0}% {message}".PadRight(Console.BufferWidth > 0 ? Math.Min(Console.BufferWidth - 1, 100) : 80));
        }

        public void Clear()
        {
            if (enabled)
            {
                writer.Write("\r" + new string(' ', 100) + "\r");
            }
        }
    }
}
