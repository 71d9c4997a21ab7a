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
};

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
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
