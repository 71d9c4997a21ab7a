using System.Collections.Frozen;

namespace OrbitMesh;

/// <summary>What moves an agent from one lifecycle status to another.</summary>
public enum AgentTrigger
{
    /// <summary>A connection registered: the agent initializes.</summary>
    Initialize,

    /// <summary>Registration completed: ready for work.</summary>
    Start,

    /// <summary>It took work.</summary>
    Execute,

    /// <summary>It has no work in flight any more.</summary>
    Idle,

    /// <summary>An operator paused it: no new work.</summary>
    Pause,

    /// <summary>An operator resumed it.</summary>
    Resume,

    /// <summary>It is draining before it stops.</summary>
    Stop,

    /// <summary>It stopped (disconnected after draining).</summary>
    Stopped,

    /// <summary>It failed.</summary>
    Fault,

    /// <summary>It recovered from a failure.</summary>
    Recover,
}

/// <summary>
/// The agent lifecycle of the architecture (Created, Initializing, Ready, Running, Paused, Stopping,
/// Stopped, Faulted), configured as a Stateless state machine. Connection state (Unreachable,
/// Disconnected) is kept apart and shown on top of it.
/// </summary>
/// <remarks>
/// As with <see cref="JobStateMachine"/>, the registry keeps each agent's status itself; the configured
/// machine is read once into a frozen table for the lookups, and <see cref="ToMermaid"/> draws the
/// diagram in docs/architecture.md from it.
/// <code>
/// Created --Initialize--> Initializing --Start--> Ready --Execute--> Running --Idle--> Ready
/// Ready/Running --Pause--> Paused --Resume--> Ready
/// Ready/Running/Paused --Stop--> Stopping --Stopped--> Stopped --Initialize--> Initializing
/// Initializing/Ready/Running/Stopping --Fault--> Faulted --Recover--> Initializing
/// </code>
/// </remarks>
public static class AgentStateMachine
{
    private static readonly Stateless.StateMachine<AgentStatus, AgentTrigger> Machine = Configure();

    private static readonly FrozenDictionary<(AgentStatus From, AgentTrigger Trigger), AgentStatus> Transitions = StateMachineTable.Of(Machine);

    /// <summary>The lifecycle as a Mermaid state diagram, generated from the machine.</summary>
    public static string ToMermaid() => Stateless.Graph.MermaidGraph.Format(Machine.GetInfo());

    private static Stateless.StateMachine<AgentStatus, AgentTrigger> Configure()
    {
        var machine = new Stateless.StateMachine<AgentStatus, AgentTrigger>(AgentStatus.Created);
        machine.Configure(AgentStatus.Created)
            .Permit(AgentTrigger.Initialize, AgentStatus.Initializing);
        machine.Configure(AgentStatus.Initializing)
            .Permit(AgentTrigger.Start, AgentStatus.Ready)
            .Permit(AgentTrigger.Fault, AgentStatus.Faulted);
        machine.Configure(AgentStatus.Ready)
            .Permit(AgentTrigger.Execute, AgentStatus.Running)
            .Permit(AgentTrigger.Pause, AgentStatus.Paused)
            .Permit(AgentTrigger.Stop, AgentStatus.Stopping)
            .Permit(AgentTrigger.Fault, AgentStatus.Faulted);
        machine.Configure(AgentStatus.Running)
            .Permit(AgentTrigger.Idle, AgentStatus.Ready)
            .Permit(AgentTrigger.Pause, AgentStatus.Paused)
            .Permit(AgentTrigger.Stop, AgentStatus.Stopping)
            .Permit(AgentTrigger.Fault, AgentStatus.Faulted);
        machine.Configure(AgentStatus.Paused)
            .Permit(AgentTrigger.Resume, AgentStatus.Ready)
            .Permit(AgentTrigger.Stop, AgentStatus.Stopping);
        machine.Configure(AgentStatus.Stopping)
            .Permit(AgentTrigger.Stopped, AgentStatus.Stopped)
            .Permit(AgentTrigger.Fault, AgentStatus.Faulted);
        machine.Configure(AgentStatus.Stopped)
            .Permit(AgentTrigger.Initialize, AgentStatus.Initializing);
        machine.Configure(AgentStatus.Faulted)
            .Permit(AgentTrigger.Recover, AgentStatus.Initializing);
        return machine;
    }

    /// <summary>The lifecycle statuses (the ones a transition can produce or start from).</summary>
    public static IReadOnlyList<AgentStatus> LifecycleStatuses { get; } =
        [AgentStatus.Created, AgentStatus.Initializing, AgentStatus.Ready, AgentStatus.Running, AgentStatus.Paused, AgentStatus.Stopping, AgentStatus.Stopped, AgentStatus.Faulted];

    /// <summary>Every allowed transition.</summary>
    public static IEnumerable<(AgentStatus From, AgentTrigger Trigger, AgentStatus To)> All =>
        Transitions.Select(t => (t.Key.From, t.Key.Trigger, t.Value));

    /// <summary>The status after <paramref name="trigger"/>, when allowed.</summary>
    public static bool TryTransition(AgentStatus from, AgentTrigger trigger, out AgentStatus to) =>
        Transitions.TryGetValue((from, trigger), out to);

    /// <summary>The status after <paramref name="trigger"/>; throws <see cref="InvalidAgentTransitionException"/> when not allowed.</summary>
    public static AgentStatus Transition(AgentStatus from, AgentTrigger trigger) =>
        TryTransition(from, trigger, out var to) ? to : throw new InvalidAgentTransitionException(from, trigger);

    /// <summary>True when an agent in this lifecycle status may be given new work.</summary>
    public static bool AcceptsWork(AgentStatus status) => status is AgentStatus.Ready or AgentStatus.Running;
}

/// <summary>An agent transition the state machine does not allow.</summary>
public sealed class InvalidAgentTransitionException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public InvalidAgentTransitionException()
        : this("The agent transition is not allowed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidAgentTransitionException(string message)
        : base("invalid_transition", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidAgentTransitionException(string message, Exception? innerException)
        : base("invalid_transition", message, innerException)
    {
    }

    /// <summary>Creates the exception for a refused transition.</summary>
    public InvalidAgentTransitionException(AgentStatus from, AgentTrigger trigger)
        : base("invalid_transition", $"An agent that is {from} cannot take '{trigger}'.")
    {
        From = from;
        Trigger = trigger;
    }

    /// <summary>The status the agent was in.</summary>
    public AgentStatus From { get; }

    /// <summary>The trigger that was refused.</summary>
    public AgentTrigger Trigger { get; }
}
