using OrbitMesh.Server.Agents;

namespace OrbitMesh.Server.Jobs;

internal sealed partial class JobManager
{
    /// <summary>
    /// Works out where a job of <paramref name="command"/> for <paramref name="target"/> would go now,
    /// with the dispatcher's own rules (target, connection, handlers, grants, lifecycle, circuit,
    /// free slots) and ranking (fewest jobs for the limit, then load), without submitting or
    /// reserving anything. A target that matches no agent is reported as such: it never widens to
    /// every agent.
    /// </summary>
    public TargetingPlan PlanTargeting(string command, AgentTarget? target, bool allAgents = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var eligible = new List<(AgentEntry Entry, double Share)>();
        var excluded = new List<ExcludedAgent>();
        foreach (var entry in _registry.All.OrderBy(e => e.Id, StringComparer.Ordinal))
        {
            if (Exclusion(entry, command, target) is { } why)
            {
                excluded.Add(why);
                continue;
            }

            var share = (double)_slots.InFlight(entry.Id) / Math.Max(1, _slots.Limit(entry.Id));
            if (!allAgents && _slots.InFlight(entry.Id) >= _slots.Limit(entry.Id))
            {
                excluded.Add(new ExcludedAgent(entry.Id, "full", $"runs {_slots.InFlight(entry.Id)} jobs, its limit; the job would wait for a slot"));
                continue;
            }

            eligible.Add((entry, share));
        }

        var ranked = eligible
            .OrderBy(c => c.Share).ThenBy(c => c.Entry.Load.Utilization).ThenBy(c => c.Entry.Id, StringComparer.Ordinal)
            .Select(c => new EligibleAgent(c.Entry.Id, _slots.InFlight(c.Entry.Id), _slots.Limit(c.Entry.Id), c.Entry.Load.Utilization))
            .ToList();
        var what = target is null ? $"any agent with a handler for '{command}'" : $"target {target}";
        var message = ranked.Count == 0
            ? $"No agent would run '{command}' now ({what}): {excluded.Count} known agent(s) excluded."
            : allAgents
                ? $"{ranked.Count} agent(s) would each run '{command}' ({what})."
                : $"'{command}' would go to {ranked[0].AgentId} ({what}; {ranked.Count} eligible).";
        return new TargetingPlan(command, target, ranked.Count > 0, ranked, excluded, message);
    }

    /// <summary>
    /// Whether some agent of this server would take a job of <paramref name="command"/> for <paramref name="target"/> now:
    /// <see cref="PlanTargeting"/>'s answer without building the plan (checked per claim candidate on a cluster).
    /// </summary>
    public bool AnyAgentWouldRun(string command, AgentTarget? target) =>
        _registry.All.Any(entry => Exclusion(entry, command, target) is null && _slots.InFlight(entry.Id) < _slots.Limit(entry.Id));

    /// <summary>Free job slots on the connected agents.</summary>
    private int FreeSlots()
    {
        var free = 0;
        foreach (var agent in _registry.Connected)
        {
            free += Math.Max(0, _slots.Limit(agent.Id) - _slots.InFlight(agent.Id));
        }

        return free;
    }

    private ExcludedAgent? Exclusion(AgentEntry entry, string command, AgentTarget? target)
    {
        if (target?.AgentId is { } id && !string.Equals(id, entry.Id, StringComparison.Ordinal))
        {
            return new ExcludedAgent(entry.Id, "not_targeted", $"the target is agent '{id}'");
        }

        if (target?.Capability is { } capability && !entry.Capabilities.Contains(capability, StringComparer.Ordinal))
        {
            return new ExcludedAgent(entry.Id, "capability", $"lacks the capability '{capability}'");
        }

        if (target?.Group is { } group && !entry.Groups.Contains(group, StringComparer.Ordinal))
        {
            return new ExcludedAgent(entry.Id, "group", $"is not in the group '{group}'");
        }

        if (entry.ConnectionId is null)
        {
            return new ExcludedAgent(entry.Id, "not_connected", entry.DisconnectedAt is { } at ? $"not connected (since {at:u})" : "not connected");
        }

        if (!entry.HasHandler(command))
        {
            return new ExcludedAgent(entry.Id, "no_handler", $"has no handler for '{command}'");
        }

        if (entry.Grants is { } grants && !grants.AllowsCommand(command))
        {
            return new ExcludedAgent(entry.Id, "not_granted", $"was not granted the capability '{grants.RequiredFor(command)}' that '{command}' requires");
        }

        if (!entry.Reachable)
        {
            return new ExcludedAgent(entry.Id, "unreachable", "connected but missing heartbeats (unreachable)");
        }

        if (!entry.AcceptsWork)
        {
            var state = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(entry.Lifecycle.ToString());
            return new ExcludedAgent(entry.Id, state, $"is {state} and takes no new work");
        }

        return _resilience.IsOpen(entry.Id)
            ? new ExcludedAgent(entry.Id, "circuit_open", "its circuit is open after repeated failures")
            : null;
    }
}
