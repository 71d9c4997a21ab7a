using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Agent.Hosting;

/// <summary>Connects the hosted agent in the background (retrying until the server answers) and stops it with the host.</summary>
internal sealed partial class MeshAgentHostedService(MeshAgent agent, ILogger<MeshAgentHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await agent.ConnectAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (OrbitMeshException ex)
        {
            Log.ConnectFailed(logger, ex.Message);
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await agent.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(3050, LogLevel.Critical, "The OrbitMesh agent could not connect: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string reason);
    }
}
