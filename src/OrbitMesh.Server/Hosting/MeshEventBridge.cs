using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Hosting;

/// <summary>
/// Hands the server's own events (agents connecting and leaving, jobs ending) to the workflow event
/// triggers, when the workflow engine is registered. Runs ending reach them from the engine itself.
/// </summary>
internal sealed class MeshEventBridge(IOptions<OrbitMeshServerOptions> options, IServiceProvider services) : IHostedService
{
    private WorkflowTriggers? _triggers;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _triggers = services.GetService<WorkflowTriggers>();
        if (_triggers is not null)
        {
            options.Value.OnAgentConnected += AgentConnected;
            options.Value.OnAgentDisconnected += AgentDisconnected;
            options.Value.OnJobCompleted += JobCompleted;
            options.Value.OnJobFailed += JobFailed;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_triggers is not null)
        {
            options.Value.OnAgentConnected -= AgentConnected;
            options.Value.OnAgentDisconnected -= AgentDisconnected;
            options.Value.OnJobCompleted -= JobCompleted;
            options.Value.OnJobFailed -= JobFailed;
        }

        return Task.CompletedTask;
    }

    private void AgentConnected(object? sender, AgentInfo agent) => Raise(MeshEventTypes.AgentConnected, Agent(agent));

    private void AgentDisconnected(object? sender, AgentInfo agent) => Raise(MeshEventTypes.AgentDisconnected, Agent(agent));

    private void JobCompleted(object? sender, JobRecord job) => Raise(MeshEventTypes.JobCompleted, Job(job));

    private void JobFailed(object? sender, JobRecord job) => Raise(MeshEventTypes.JobFailed, Job(job));

    private void Raise(string type, object data) =>
        _triggers?.Raise(new MeshEvent { Type = type, Source = "server", Data = JsonSerializer.SerializeToElement(data, OrbitMeshJson.Options) });

    private static object Agent(AgentInfo agent) => new { agentId = agent.Id, name = agent.Name, capabilities = agent.Capabilities, groups = agent.Groups, version = agent.Version };

    // No parameters or results: they may hold what the job's submitter should see and a trigger's filter should not.
    private static object Job(JobRecord job) => new
    {
        jobId = job.Id,
        command = job.Command,
        status = job.Status,
        agentId = job.AgentId,
        attempt = job.Attempt,
        correlationId = job.CorrelationId,
        errorCode = job.Error?.Code,
        error = job.Error?.Message,
    };
}
