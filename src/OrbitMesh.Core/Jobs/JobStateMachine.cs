using System.Collections.Frozen;

namespace OrbitMesh;

/// <summary>
/// What moves a job from one status to another.
/// </summary>
public enum JobTrigger
{
    /// <summary>The dispatcher sent the job to an agent.</summary>
    Assign,

    /// <summary>The agent acknowledged the assignment and started it.</summary>
    Acknowledge,

    /// <summary>The agent refused it, did not acknowledge in time, or disconnected before acknowledging: try another agent.</summary>
    Reassign,

    /// <summary>The running job's lease lapsed (its agent went silent): try another agent.</summary>
    LeaseExpired,

    /// <summary>The agent gave a running job back (it is shutting down): try another agent.</summary>
    Release,

    /// <summary>The handler returned a result.</summary>
    Complete,

    /// <summary>The attempt failed.</summary>
    Fail,

    /// <summary>The caller cancelled.</summary>
    Cancel,

    /// <summary>The attempt ran past its timeout.</summary>
    TimeOut,

    /// <summary>A failed job with attempts left goes back to the queue.</summary>
    Retry,

    /// <summary>A failed job with no attempts left is set aside.</summary>
    DeadLetter,
}

/// <summary>
/// The job lifecycle as an explicit transition table. Every transition the engine makes goes through
/// <see cref="TryTransition"/>; anything not in the table is rejected.
/// </summary>
/// <remarks>
/// <code>
/// Pending  --Assign--------> Assigned --Acknowledge--> Running --Complete--> Completed
/// Pending  --Cancel/Fail---> Cancelled / Failed
/// Assigned --Reassign------> Pending          Running --LeaseExpired/Release--> Pending
/// Assigned --Cancel/Fail---> Cancelled / Failed
/// Running  --Fail/Cancel/TimeOut--> Failed / Cancelled / TimedOut
/// Failed   --Retry---------> Pending          Failed  --DeadLetter--> DeadLettered
/// </code>
/// Completed, Cancelled, TimedOut and DeadLettered are terminal. Failed is terminal unless it is retried or dead-lettered.
/// </remarks>
public static class JobStateMachine
{
    private static readonly FrozenDictionary<(JobStatus From, JobTrigger Trigger), JobStatus> Transitions =
        new Dictionary<(JobStatus, JobTrigger), JobStatus>
        {
            [(JobStatus.Pending, JobTrigger.Assign)] = JobStatus.Assigned,
            [(JobStatus.Pending, JobTrigger.Cancel)] = JobStatus.Cancelled,
            [(JobStatus.Pending, JobTrigger.Fail)] = JobStatus.Failed,
            [(JobStatus.Assigned, JobTrigger.Acknowledge)] = JobStatus.Running,
            [(JobStatus.Assigned, JobTrigger.Reassign)] = JobStatus.Pending,
            [(JobStatus.Assigned, JobTrigger.Cancel)] = JobStatus.Cancelled,
            [(JobStatus.Assigned, JobTrigger.Fail)] = JobStatus.Failed,
            [(JobStatus.Running, JobTrigger.Complete)] = JobStatus.Completed,
            [(JobStatus.Running, JobTrigger.Fail)] = JobStatus.Failed,
            [(JobStatus.Running, JobTrigger.Cancel)] = JobStatus.Cancelled,
            [(JobStatus.Running, JobTrigger.TimeOut)] = JobStatus.TimedOut,
            [(JobStatus.Running, JobTrigger.LeaseExpired)] = JobStatus.Pending,
            [(JobStatus.Running, JobTrigger.Release)] = JobStatus.Pending,
            [(JobStatus.Failed, JobTrigger.Retry)] = JobStatus.Pending,
            [(JobStatus.Failed, JobTrigger.DeadLetter)] = JobStatus.DeadLettered,
        }.ToFrozenDictionary();

    /// <summary>Every allowed transition.</summary>
    public static IEnumerable<(JobStatus From, JobTrigger Trigger, JobStatus To)> All =>
        Transitions.Select(t => (t.Key.From, t.Key.Trigger, t.Value));

    /// <summary>The status after <paramref name="trigger"/> from <paramref name="from"/>, when allowed.</summary>
    public static bool TryTransition(JobStatus from, JobTrigger trigger, out JobStatus to) =>
        Transitions.TryGetValue((from, trigger), out to);

    /// <summary>The status after <paramref name="trigger"/>; throws <see cref="InvalidJobTransitionException"/> when not allowed.</summary>
    public static JobStatus Transition(JobStatus from, JobTrigger trigger) =>
        TryTransition(from, trigger, out var to) ? to : throw new InvalidJobTransitionException(from, trigger);

    /// <summary>True for statuses no trigger leaves: Completed, Cancelled, TimedOut, DeadLettered (and Failed when not retried).</summary>
    public static bool IsTerminal(JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Cancelled or JobStatus.TimedOut or JobStatus.DeadLettered or JobStatus.Failed;

    /// <summary>True while an agent holds the job.</summary>
    public static bool IsWithAgent(JobStatus status) => status is JobStatus.Assigned or JobStatus.Running;
}

/// <summary>A job transition that the state machine does not allow.</summary>
public sealed class InvalidJobTransitionException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public InvalidJobTransitionException()
        : this("The job transition is not allowed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidJobTransitionException(string message)
        : base("invalid_transition", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidJobTransitionException(string message, Exception? innerException)
        : base("invalid_transition", message, innerException)
    {
    }

    /// <summary>Creates the exception for a rejected transition.</summary>
    public InvalidJobTransitionException(JobStatus from, JobTrigger trigger)
        : base("invalid_transition", $"A job that is {from} cannot take '{trigger}'.")
    {
        From = from;
        Trigger = trigger;
    }

    /// <summary>The status the job was in.</summary>
    public JobStatus From { get; }

    /// <summary>The trigger that was refused.</summary>
    public JobTrigger Trigger { get; }
}
