namespace OrbitMesh.Modules;

/// <summary>A module's name and, optionally, version, as a job names it: <c>wasm:NAME[@VERSION]</c>.</summary>
/// <param name="Name">The module's name.</param>
/// <param name="Version">The version; null for the newest.</param>
public sealed record WasmModuleName(string Name, string? Version)
{
    /// <summary>The command prefix of WebAssembly jobs.</summary>
    public const string CommandPrefix = "wasm:";

    /// <summary>The most characters of a name or a version.</summary>
    public const int MaxPartLength = 100;

    /// <summary>The rule names and versions follow.</summary>
    public const string Rule = "1 to 100 characters of ASCII letters, digits, '.', '_' and '-', starting with a letter or digit";

    /// <summary>True when <paramref name="value"/> is a valid module name or version (<see cref="Rule"/>).</summary>
    public static bool IsValidPart(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxPartLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses <c>wasm:NAME[@VERSION]</c>; false when the command is not one or its parts are invalid.</summary>
    public static bool TryParseCommand(string? command, out WasmModuleName? name)
    {
        name = null;
        if (command is null || !command.StartsWith(CommandPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = command[CommandPrefix.Length..];
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var module = at < 0 ? rest : rest[..at];
        var version = at < 0 ? null : rest[(at + 1)..];
        if (!IsValidPart(module) || (version is not null && !IsValidPart(version)))
        {
            return false;
        }

        name = new WasmModuleName(module, version);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Version is null ? Name : Name + "@" + Version;
}
