using System.Collections.Concurrent;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// The capabilities an enrolled node was granted at approval, and what they let it run. A grant matches a
/// capability when it is equal, <c>*</c>, or a prefix ending in <c>.*</c>. A command requires the
/// capability <see cref="SecurityOptions.CommandCapabilities"/> maps it to, or the one named like the command.
/// </summary>
internal sealed class CapabilityGrants
{
    private readonly IReadOnlyDictionary<string, string> _commandCapabilities;
    private readonly ConcurrentDictionary<string, bool> _commands = new(StringComparer.Ordinal);

    public CapabilityGrants(IReadOnlyList<string> granted, IReadOnlyDictionary<string, string> commandCapabilities)
    {
        Granted = granted;
        _commandCapabilities = commandCapabilities;
    }

    /// <summary>The grants, as the admin gave them.</summary>
    public IReadOnlyList<string> Granted { get; }

    public static bool Matches(string grant, string capability) =>
        grant == "*"
        || string.Equals(grant, capability, StringComparison.Ordinal)
        || (grant.EndsWith(".*", StringComparison.Ordinal) && capability.StartsWith(grant[..^1], StringComparison.Ordinal));

    public bool AllowsCapability(string capability) => Granted.Any(g => Matches(g, capability));

    /// <summary>
    /// The capability a command requires: the mapped one, else for a command of a family
    /// (<c>prefix:name[@version]</c>) <c>prefix.name</c> (so <c>wasm.*</c> grants every WebAssembly module
    /// and <c>wasm.resize</c> one of them, in any version), else the command itself.
    /// </summary>
    public string RequiredFor(string command)
    {
        if (_commandCapabilities.TryGetValue(command, out var capability))
        {
            return capability;
        }

        if (Protocol.CommandFamilies.FamilyOf(command) is { } family)
        {
            var name = command[(family.Length - 1)..];
            var at = name.IndexOf('@', StringComparison.Ordinal);
            return family[..^2] + "." + (at < 0 ? name : name[..at]);
        }

        return command;
    }

    /// <summary>True when the node may receive <paramref name="command"/> (cached per command: this is on the dispatch path).</summary>
    public bool AllowsCommand(string command) => _commands.GetOrAdd(command, c => AllowsCapability(RequiredFor(c)));
}
