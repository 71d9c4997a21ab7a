using System.CommandLine;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Cli.Handlers;
using OrbitMesh.Cli.Hosting;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh agent</c>: runs an agent with the built-in handlers until Ctrl+C or SIGTERM.</summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var token = new Option<string?>("--token") { Description = "The agent token the server knows (default: $ORBITMESH_TOKEN)." };
        var id = new Option<string?>("--id") { Description = "The agent's id (default: the machine name)." };
        var name = new Option<string?>("--name") { Description = "A human-readable name." };
        var capabilities = new Option<string[]>("--capability") { Description = "A capability to declare (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var groups = new Option<string[]>("--group") { Description = "A group to join (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var maxJobs = new Option<int>("--max-concurrent-jobs") { Description = "Commands run at once.", DefaultValueFactory = _ => MeshAgentOptions.DefaultMaxConcurrentJobs };
        var logLevel = CommonOptions.LogLevelOption(LogLevel.Information);
        var logFormat = CommonOptions.LogFormat();
        var otlp = CommonOptions.OtlpEndpoint();
        var allowPaths = new Option<string[]>("--allow-path")
        {
            Description = "A directory the file handlers (file.read, file.write, file.list) may reach (repeatable). Without it they are not registered.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var command = new Command("agent", "Run an OrbitMesh agent with the built-in handlers (echo, sleep, system.info, stream.count, stream.echo).")
        {
            server, token, id, name, capabilities, groups, maxJobs, allowPaths, logLevel, logFormat, otlp,
        };
        var tls = new AgentTlsOptions();
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var serverUri = CommonOptions.ParseServer(result.GetValue(server)!);
            var agentToken = result.GetValue(token) ?? Environment.GetEnvironmentVariable("ORBITMESH_TOKEN");
            if (string.IsNullOrEmpty(agentToken))
            {
                throw new CliException("--token is required (or set ORBITMESH_TOKEN): agents never connect anonymously.");
            }

            using var telemetry = CliTelemetry.Start("orbitmesh-agent", CommonOptions.OtlpEndpointValue(result, otlp), metrics: false);
            using var loggerFactory = CliLogging.CreateFactory(result.GetValue(logLevel), result.GetValue(logFormat) == "json");
            var builder = new MeshAgentBuilder()
                .WithServer(serverUri)
                .WithToken(agentToken)
                .WithCapabilities(result.GetValue(capabilities) ?? [])
                .WithGroups(result.GetValue(groups) ?? [])
                .WithMaxConcurrentJobs(result.GetValue(maxJobs))
                .WithLoggerFactory(loggerFactory)
                .Configure(o => o.RetryInitialConnection = true)
                .AddBuiltInHandlers();
            tls.Apply(result, builder);
            if (result.GetValue(allowPaths) is { Length: > 0 } roots)
            {
                PathAllowList allowList;
                try
                {
                    allowList = new PathAllowList(roots);
                }
                catch (ArgumentException ex)
                {
                    throw new CliException("--allow-path: " + ex.Message.Split(" (Parameter", 2)[0]);
                }

                builder.AddFileHandlers(allowList);
            }

            if (result.GetValue(id) is { } agentId)
            {
                builder.WithId(agentId);
            }

            if (result.GetValue(name) is { } agentName)
            {
                builder.WithName(agentName);
            }

            await using var agent = builder.Build();
            var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            agent.Closed += error =>
            {
                closed.TrySetResult(error);
                return Task.CompletedTask;
            };

            await agent.ConnectAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Agent {agent.Id} connected to {serverUri} with {agent.Commands.Count} handlers.");

            var finished = await Task.WhenAny(closed.Task, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
            if (finished == closed.Task && closed.Task.Result is { } error)
            {
                throw new CliException($"The agent's connection closed: {error.Message}", exitCode: 2);
            }

            await agent.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
