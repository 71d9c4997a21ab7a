using System.Collections.Frozen;

namespace OrbitMesh;

/// <summary>
/// The transition function of a configured Stateless machine as a frozen table, read once through its
/// reflection API: for lifecycles whose state lives in records the engine changes under its own locks.
/// </summary>
internal static class StateMachineTable
{
    public static FrozenDictionary<(TState From, TTrigger Trigger), TState> Of<TState, TTrigger>(Stateless.StateMachine<TState, TTrigger> machine)
        where TState : struct, Enum
        where TTrigger : struct, Enum =>
        machine.GetInfo().States
            .SelectMany(state => state.FixedTransitions.Select(t => KeyValuePair.Create(
                ((TState)state.UnderlyingState, (TTrigger)t.Trigger.UnderlyingTrigger),
                (TState)t.DestinationState.UnderlyingState)))
            .ToFrozenDictionary();
}
