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
};

// Failures reach the catch blocks below, which print one line; System.CommandLine's default handler
// would catch them first and print "Unhandled exception:" with the stack trace.
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };

try
{
    return await root.Parse(args).InvokeAsync(invocation).ConfigureAwait(false);
}
catch (CliException ex)
{
    await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
    return ex.ExitCode;
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
