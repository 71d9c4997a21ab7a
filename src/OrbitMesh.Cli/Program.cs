using System.CommandLine;
using OrbitMesh;
using OrbitMesh.Cli;
using OrbitMesh.Cli.Commands;

var root = new RootCommand("orbitmesh: run and drive an OrbitMesh server and its agents.")
{
    DemoCommand.Create(),
    ServerCommand.Create(),
    AgentCommand.Create(),
    AgentsCommand.Create(),
    JobsCommand.Create(),
    WorkflowsCommand.Create(),
    TriggersCommand.Create(),
    EventsCommand.Create(),
    TokensCommand.Create(),
    NodesCommand.Create(),
    AuditCommand.Create(),
    UsersCommand.Create(),
    ApiKeysCommand.Create(),
    ModulesCommand.Create(),
    GridCommand.Create(),
};
foreach (var session in SessionCommands.Create())
{
    root.Subcommands.Add(session);
}

var invocation = new InvocationConfiguration
{
    // Failures reach the catch blocks below, which print one line; System.CommandLine's default handler
    // would catch them first and print "Unhandled exception:" with the stack trace.
    EnableDefaultExceptionHandler = false,

    // Ctrl+C and SIGTERM cancel the command's token, so that the server and the agent shut down cleanly
    // (System.CommandLine 2.0.0 handles neither unless a timeout is set). Longer than the server's
    // 10 s shutdown timeout; a command still running after it exits with 130 or 143.
    ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
};

try
{
    return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
}
catch (CliException ex)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return ex.ExitCode;
}
catch (InvalidOperationException ex) when (ex.Message.StartsWith("No OrbitMesh storage", StringComparison.Ordinal))
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return 1;
}
catch (OrbitMeshException ex)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return 1;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("error: invalid settings: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
    return 1;
}
catch (IOException ex)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return 1;
}
catch (HttpRequestException ex)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return 1;
}
catch (OperationCanceledException)
{
    // Interrupted before the command finished.
    return 1;
}
catch (Exception ex)
{
    // Unexpected: keep the details.
    await Console.Error.WriteLineAsync("error: unexpected failure: " + ex).ConfigureAwait(false);
    return 1;
}
