using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Diagnostics;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Jobs;

namespace OrbitMesh.Server.Diagnostics;

/// <summary>
/// The server's instruments, on a <see cref="Meter"/> named <c>OrbitMesh</c> created through the
/// host's <see cref="IMeterFactory"/> (so two servers in one process do not mix their figures).
/// Observable instruments read the registry and the job manager when collected.
/// </summary>
internal sealed class OrbitMeshMetrics
{
    /// <summary>Histogram buckets for latencies, in seconds: 0.5 ms to 60 s.</summary>
    private static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> _jobsFinished;
    private readonly Histogram<double> _dispatchLatency;
    private readonly Histogram<double> _jobDuration;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _ackTimeouts;
    private readonly Counter<long> _nacks;
    private readonly Counter<long> _leaseExpiries;

    public OrbitMeshMetrics(IMeterFactory meterFactory, IServiceProvider services)
    {
        Meter = meterFactory.Create(new MeterOptions(OrbitMeshDiagnostics.Name) { Version = typeof(OrbitMeshMetrics).Assembly.GetName().Version?.ToString() });

        _jobsFinished = Meter.CreateCounter<long>("orbitmesh.jobs.finished", "{job}", "Jobs that reached a final status, by status.");
        _dispatchLatency = Meter.CreateHistogram("orbitmesh.job.dispatch.latency", "s",
            "From the moment a job is ready to run (submitted, or due again after a retry) until an agent acknowledges it.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _jobDuration = Meter.CreateHistogram("orbitmesh.job.duration", "s",
            "From submission until the job's final status, by status.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _reconnects = Meter.CreateCounter<long>("orbitmesh.agent.reconnects", "{registration}", "Registrations of an agent id the server already knew (a reconnect, a restart, or a replaced connection).");
        _ackTimeouts = Meter.CreateCounter<long>("orbitmesh.job.ack_timeouts", "{assignment}", "Assignments the agent did not acknowledge in time.");
        _nacks = Meter.CreateCounter<long>("orbitmesh.job.nacks", "{assignment}", "Assignments an agent refused, by code.");
        _leaseExpiries = Meter.CreateCounter<long>("orbitmesh.job.lease_expiries", "{attempt}", "Running attempts whose lease lapsed without renewal.");

        Meter.CreateObservableUpDownCounter("orbitmesh.agents.connected",
            () => services.GetRequiredService<AgentRegistry>().ConnectedCount, "{agent}", "Agents registered on a live connection.");
        // The admission keeps these counts itself (the bench reads them too): observe them rather than count twice.
        Meter.CreateObservableCounter("orbitmesh.handshakes.admitted",
            () => services.GetRequiredService<HandshakeAdmission>().Admitted, "{connection}", "Agent connections admitted past admission control.");
        Meter.CreateObservableCounter("orbitmesh.handshakes.rejected",
            () => services.GetRequiredService<HandshakeAdmission>().Rejected, "{connection}", "Agent connections turned away with 503 and Retry-After because too many handshakes were in progress.");
        Meter.CreateObservableUpDownCounter("orbitmesh.handshakes.active",
            () => services.GetRequiredService<HandshakeAdmission>().Active, "{connection}", "Agent connections admitted that have not registered yet.");
        Meter.CreateObservableUpDownCounter("orbitmesh.dispatch.queue.depth", () =>
        {
            var queue = services.GetRequiredService<JobManager>().Queue;
            return queue.QueuedCount + queue.ParkedCount + queue.UnmatchedCount;
        }, "{job}", "Pending jobs waiting for an agent (queued, parked while agents are full, or waiting for a matching agent).");
        Meter.CreateObservableUpDownCounter("orbitmesh.jobs.active",
            () => services.GetRequiredService<JobManager>().UnfinishedCount, "{job}", "Jobs that are not final (pending, assigned or running).");
    }

    /// <summary>The meter; its <see cref="Meter.Scope"/> is the host's meter factory.</summary>
    public Meter Meter { get; }

    public void JobFinished(JobStatus status, TimeSpan sinceSubmission)
    {
        var tag = new KeyValuePair<string, object?>("status", StatusName(status));
        _jobsFinished.Add(1, tag);
        _jobDuration.Record(Math.Max(0, sinceSubmission.TotalSeconds), tag);
    }

    public void Dispatched(TimeSpan sinceReady) => _dispatchLatency.Record(Math.Max(0, sinceReady.TotalSeconds));

    public void Reconnected() => _reconnects.Add(1);

    public void AckTimedOut() => _ackTimeouts.Add(1);

    public void Refused(string code) => _nacks.Add(1, new KeyValuePair<string, object?>("code", code));

    public void LeaseExpired() => _leaseExpiries.Add(1);


    private static string StatusName(JobStatus status) => status switch
    {
        JobStatus.Completed => "completed",
        JobStatus.Failed => "failed",
        JobStatus.Cancelled => "cancelled",
        JobStatus.TimedOut => "timed_out",
        JobStatus.DeadLettered => "dead_lettered",
        _ => status.ToString().ToLowerInvariant(),
    };
}
