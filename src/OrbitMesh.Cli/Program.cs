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

try
{
    var invocation = new InvocationConfiguration
    {
        // The default exception handler would print a stack trace and exit 1 before the catches below see
        // the exception; turn it off so every failure ends as one 'error:' line with its exit code.
        EnableDefaultExceptionHandler = false,

        // System.CommandLine 2.0.0 documents a 2 s default but leaves this null, and null means Ctrl+C and
        // SIGTERM are not handled at all: the process died at once instead of cancelling the command's
        // token (an agent never closed its connection). Give a command this long to stop cleanly.
        ProcessTerminationTimeout = TimeSpan.FromSeconds(5),
    };
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
    // Ctrl+C or SIGTERM while a command was still starting: stop quietly, as System.CommandLine did.
    return 1;
}
catch (Exception ex)
{
    // Anything unexpected keeps its stack trace, as System.CommandLine's default handler printed it.
    await Console.Error.WriteLineAsync("error: unexpected failure: " + ex).ConfigureAwait(false);
    return 1;
}
