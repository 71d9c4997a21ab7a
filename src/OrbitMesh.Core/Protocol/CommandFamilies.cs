namespace OrbitMesh.Protocol;

/// <summary>
/// Command families: an agent that registers the command <c>prefix:*</c> (such as <c>wasm:*</c>)
/// handles every command that starts with <c>prefix:</c> and has more after it (<c>wasm:resize@2</c>).
/// </summary>
public static class CommandFamilies
{
    /// <summary>The wildcard a family's registered name ends with.</summary>
    public const string Wildcard = "*";

    /// <summary>The family a command belongs to (<c>wasm:*</c> for <c>wasm:resize@2</c>), or null when it names none.</summary>
    public static string? FamilyOf(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var colon = command.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon < command.Length - 1 && !command.EndsWith(Wildcard, StringComparison.Ordinal)
            ? command[..(colon + 1)] + Wildcard
            : null;
    }

    /// <summary>True when <paramref name="commands"/> (an agent's registered commands) names <paramref name="command"/> or its family.</summary>
    public static bool Covers(IReadOnlySet<string> commands, string command)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Contains(command) || (FamilyOf(command) is { } family && commands.Contains(family));
    }
}
