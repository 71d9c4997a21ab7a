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
/// The job lifecycle, configured as a Stateless state machine (the seed's choice). Every transition the
/// engine makes goes through <see cref="TryTransition"/>; anything the machine does not permit is rejected.
/// </summary>
/// <remarks>
/// The engine keeps each job's status in its record and applies transitions under the job's gate, so it
/// needs the machine's transition function, not an object per job: the configured machine is read once
/// through Stateless's reflection API into a frozen table, which the hot path looks up without
/// allocating. <see cref="ToMermaid"/> draws the diagram in docs/architecture.md from the same machine.
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
    private static readonly Stateless.StateMachine<JobStatus, JobTrigger> Machine = Configure();

    private static readonly FrozenDictionary<(JobStatus From, JobTrigger Trigger), JobStatus> Transitions = StateMachineTable.Of(Machine);

    /// <summary>The lifecycle as a Mermaid state diagram, generated from the machine.</summary>
    public static string ToMermaid() => Stateless.Graph.MermaidGraph.Format(Machine.GetInfo());

    private static Stateless.StateMachine<JobStatus, JobTrigger> Configure()
    {
        var machine = new Stateless.StateMachine<JobStatus, JobTrigger>(JobStatus.Pending);
        machine.Configure(JobStatus.Pending)
            .Permit(JobTrigger.Assign, JobStatus.Assigned)
            .Permit(JobTrigger.Cancel, JobStatus.Cancelled)
            .Permit(JobTrigger.Fail, JobStatus.Failed);
        machine.Configure(JobStatus.Assigned)
            .Permit(JobTrigger.Acknowledge, JobStatus.Running)
            .Permit(JobTrigger.Reassign, JobStatus.Pending)
            .Permit(JobTrigger.Cancel, JobStatus.Cancelled)
            .Permit(JobTrigger.Fail, JobStatus.Failed);
        machine.Configure(JobStatus.Running)
            .Permit(JobTrigger.Complete, JobStatus.Completed)
            .Permit(JobTrigger.Fail, JobStatus.Failed)
            .Permit(JobTrigger.Cancel, JobStatus.Cancelled)
            .Permit(JobTrigger.TimeOut, JobStatus.TimedOut)
            .Permit(JobTrigger.LeaseExpired, JobStatus.Pending)
            .Permit(JobTrigger.Release, JobStatus.Pending);
        machine.Configure(JobStatus.Failed)
            .Permit(JobTrigger.Retry, JobStatus.Pending)
            .Permit(JobTrigger.DeadLetter, JobStatus.DeadLettered);
        return machine;
    }

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
