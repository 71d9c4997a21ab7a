using System.Collections.Concurrent;
using System.Text.Json;
using OrbitMesh.Protocol;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Testing;

/// <summary>
/// An agent whose every move the test makes: it registers, then records what the server sends
/// (assignments, cancellations, input) and acknowledges, refuses, reports and completes only when told.
/// It heartbeats for liveness on its own, but lists only the jobs in <see cref="Held"/>, so the leases of
/// the jobs it does not list lapse on purpose.
/// </summary>
public sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;

    private ScriptedAgent(HubConnection connection, string id)
    {
        _connection = connection;
        Id = id;
        _connection.On<JobAssignment>(HubMethodNames.AssignJob, a => Assignments.Enqueue(a));
        _connection.On<JobCancellation>(HubMethodNames.CancelJob, c => Cancellations.Enqueue(c));
        _connection.On<JobInputChunk>(HubMethodNames.JobInput, c => Input.Enqueue(c));
        _connection.On<DisconnectNotice>(HubMethodNames.Disconnect, n => Notices.Enqueue(n));
        _connection.On<TwinDesired>(HubMethodNames.DesiredPropertiesChanged, d => Desired.Enqueue(d));
    }

    private int _disposed;

    public string Id { get; }

    public ConcurrentQueue<JobAssignment> Assignments { get; } = new();

    public ConcurrentQueue<JobCancellation> Cancellations { get; } = new();

    public ConcurrentQueue<JobInputChunk> Input { get; } = new();

    public ConcurrentQueue<DisconnectNotice> Notices { get; } = new();

    public ConcurrentQueue<TwinDesired> Desired { get; } = new();

    public RegistrationResult? Registration { get; private set; }

    /// <summary>The jobs the automatic heartbeats report (renewing their leases).</summary>
    public ConcurrentDictionary<string, JobAssignment> Held { get; } = new();

    public static async Task<ScriptedAgent> ConnectAsync(TestMeshServer server, string id, string[] commands, Func<AgentRegistration, AgentRegistration>? adjust = null, int maxConcurrentJobs = 4)
    {
        var connection = new HubConnectionBuilder().WithMeshHub(server.HubUrl, TestMeshServer.AgentToken).Build();
        var agent = new ScriptedAgent(connection, id);
        await connection.StartMeshAsync().ConfigureAwait(false);
        var registration = new AgentRegistration { Id = id, Commands = commands, MaxConcurrentJobs = maxConcurrentJobs };
        registration = adjust?.Invoke(registration) ?? registration;
        agent.Registration = await connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, registration).ConfigureAwait(false);
        agent._heartbeats = Task.Run(() => agent.HeartbeatLoopAsync(TimeSpan.FromMilliseconds(Math.Max(20, agent.Registration.HeartbeatIntervalMs / 2))));
        return agent;
    }

    /// <summary>Waits for the next assignment.</summary>
    public async Task<JobAssignment> NextAssignmentAsync(string because = "an assignment")
    {
        JobAssignment? assignment = null;
        await Wait.UntilAsync(() => Assignments.TryDequeue(out assignment), because).ConfigureAwait(false);
        return assignment!;
    }

    public Task<JobReportResult> AckAsync(JobAssignment a) =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.AcknowledgeJob, new JobAck(a.JobId, a.Attempt, a.FencingToken));

    public Task<JobReportResult> NackAsync(JobAssignment a, string code, string message = "scripted refusal") =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.RejectJob, new JobNack(a.JobId, a.Attempt, a.FencingToken, code, message));

    public Task<JobReportResult> ProgressAsync(JobAssignment a, double percent, string? message = null) =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.ReportProgress, new JobProgress(a.JobId, a.FencingToken, percent, message));

    public Task<JobReportResult> ItemsAsync(JobAssignment a, long sequence, params object[] items) =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.SendJobItems,
            new JobItems(a.JobId, a.FencingToken, sequence, items.Select(i => JsonSerializer.SerializeToElement(i, OrbitMeshJson.Options)).ToList()));

    public Task<JobReportResult> CompleteAsync(JobAssignment a, object? result, long itemCount = 0) =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.CompleteJob, new JobCompletion
        {
            JobId = a.JobId,
            Attempt = a.Attempt,
            FencingToken = a.FencingToken,
            Success = true,
            Result = OrbitMeshJson.ToElement(result),
            ItemCount = itemCount,
        });

    public Task<JobReportResult> FailAsync(JobAssignment a, JobError error) =>
        _connection.InvokeAsync<JobReportResult>(HubMethodNames.CompleteJob, new JobCompletion
        {
            JobId = a.JobId,
            Attempt = a.Attempt,
            FencingToken = a.FencingToken,
            Success = false,
            Error = error,
        });

    public Task<HeartbeatAck> HeartbeatAsync(params JobAssignment[] held) =>
        _connection.InvokeAsync<HeartbeatAck>(HubMethodNames.Heartbeat, new AgentHeartbeat
        {
            MaxConcurrentJobs = 4,
            Jobs = held.Select(a => new HeldJob(a.JobId, a.Attempt, a.FencingToken)).ToList(),
        });

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                try
                {
                    await HeartbeatAsync([.. Held.Values]).ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // Not connected right now.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes the connection; calling it again does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _heartbeats.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
