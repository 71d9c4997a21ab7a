using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrbitMesh.Server;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Twins;
using OrbitMesh.Storage;
using OrbitMesh.Workflows;

namespace OrbitMesh.Dashboard.Live;

/// <summary>
/// The server's events (agents connecting and leaving, job events, runs ending, audited security events, twin changes) handed to the open pages.
/// A subscriber only marks itself stale: its own loop gathers what changed and renders at most once per
/// <see cref="DashboardOptions.PushInterval"/>, however many events arrive, so the job path pays one
/// delegate call per event and page.
/// </summary>
internal sealed class DashboardChangeFeed : IDisposable
{
    private readonly OrbitMeshServerOptions _server;
    private readonly WorkflowEngine? _workflows;
    private readonly SecurityAudit? _audit;
    private readonly TwinService? _twins;

    public DashboardChangeFeed(IOptions<OrbitMeshServerOptions> server, IServiceProvider services)
    {
        _server = server.Value;
        _workflows = services.GetService<WorkflowEngine>();
        _server.OnAgentConnected += AgentChanged;
        _server.OnAgentDisconnected += AgentChanged;
        _server.OnJobEvent += JobEvent;
        _twins = services.GetService<TwinService>();
        if (_twins is not null)
        {
            _twins.Changed += TwinChanged;
        }

        _audit = services.GetService<SecurityAudit>();
        if (_audit is not null)
        {
            _audit.Recorded += Audited;
        }

        if (_workflows is not null)
        {
            _workflows.RunFinished += RunFinished;
        }
    }

    /// <summary>Raised with what changed and the id of the agent, job or run.</summary>
    public event Action<DashboardChangeKind, string>? Changed;

    private void AgentChanged(object? sender, AgentInfo agent) => Changed?.Invoke(DashboardChangeKind.Agents, agent.Id);

    private void JobEvent(object? sender, JobEvent jobEvent) => Changed?.Invoke(DashboardChangeKind.Jobs, jobEvent.JobId);

    private void RunFinished(object? sender, WorkflowRun run) => Changed?.Invoke(DashboardChangeKind.Runs, run.RunId);

    private void Audited(AuditEntry entry) => Changed?.Invoke(DashboardChangeKind.Security, entry.Subject ?? "");

    private void TwinChanged(string agentId) => Changed?.Invoke(DashboardChangeKind.Twin, agentId);

    public void Dispose()
    {
        _server.OnAgentConnected -= AgentChanged;
        _server.OnAgentDisconnected -= AgentChanged;
        _server.OnJobEvent -= JobEvent;
        if (_twins is not null)
        {
            _twins.Changed -= TwinChanged;
        }

        if (_audit is not null)
        {
            _audit.Recorded -= Audited;
        }

        if (_workflows is not null)
        {
            _workflows.RunFinished -= RunFinished;
        }
    }
}
