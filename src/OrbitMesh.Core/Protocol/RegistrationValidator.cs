namespace OrbitMesh.Protocol;

/// <summary>
/// Checks a registration against <see cref="ProtocolLimits"/>. The server runs it on every
/// <see cref="IServerHub.Register"/>; agents run it before they connect, to fail early.
/// </summary>
public static class RegistrationValidator
{
    /// <summary>Returns every problem with the registration; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(AgentRegistration? registration)
    {
        var errors = new List<string>();
        if (registration is null)
        {
            errors.Add("The registration is missing.");
            return errors;
        }

        if (!IsValidAgentId(registration.Id))
        {
            errors.Add(string.IsNullOrWhiteSpace(registration.Id) ? "id is required." : $"id '{Printable(registration.Id)}' is not valid: {AgentIdRule}");
        }

        if (registration.Name is { } name && (name.Length > ProtocolLimits.MaxNameLength || HasControlCharacter(name)))
        {
            errors.Add($"name must be at most {ProtocolLimits.MaxNameLength} characters without control characters or invisible format characters.");
        }

        CheckList(errors, "capabilities", registration.Capabilities, ProtocolLimits.MaxCapabilities);
        CheckList(errors, "groups", registration.Groups, ProtocolLimits.MaxGroups);
        CheckList(errors, "commands", registration.Commands, ProtocolLimits.MaxCommands);

        if (registration.Metadata is { } metadata)
        {
            if (metadata.Count > ProtocolLimits.MaxMetadataEntries)
            {
                errors.Add($"metadata has {metadata.Count} entries; at most {ProtocolLimits.MaxMetadataEntries} are allowed.");
            }

            foreach (var (key, value) in metadata)
            {
                if (!IsValidIdentifier(key))
                {
                    errors.Add($"metadata key '{Printable(key)}' must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters or invisible format characters.");
                }
                else if (value is null || value.Length > ProtocolLimits.MaxMetadataValueLength)
                {
                    errors.Add($"metadata value for '{key}' must be present and at most {ProtocolLimits.MaxMetadataValueLength} characters.");
                }
            }
        }

        if (registration.MaxConcurrentJobs is < 1 or > ProtocolLimits.MaxConcurrentJobsLimit)
        {
            errors.Add($"maxConcurrentJobs must be between 1 and {ProtocolLimits.MaxConcurrentJobsLimit}; it was {registration.MaxConcurrentJobs}.");
        }

        if (registration.ProtocolVersion != ProtocolLimits.ProtocolVersion)
        {
            errors.Add($"protocolVersion {registration.ProtocolVersion} is not supported; this server speaks {ProtocolLimits.ProtocolVersion}.");
        }

        return errors;
    }

    /// <summary>The rule for agent and node ids, as error messages state it.</summary>
    public const string AgentIdRule = "an agent or node id is 1 to 128 characters of ASCII letters, digits and . _ : @ -, starting with a letter or digit.";

    /// <summary>
    /// True when <paramref name="value"/> is a valid capability, group, command name or job id: 1 to 128
    /// characters, not only white space, without control characters, invisible format characters
    /// (right-to-left overrides, zero-width spaces: they make logs and tables lie), line separators or
    /// unpaired surrogates.
    /// </summary>
    public static bool IsValidIdentifier(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= ProtocolLimits.MaxIdentifierLength && !HasControlCharacter(value);

    /// <summary>
    /// True when <paramref name="value"/> is a valid agent or node id (<see cref="AgentIdRule"/>): such an
    /// id appears in URL paths, file names and certificate subjects, so <c>/</c>, <c>..</c>, <c>*</c>,
    /// spaces and non-ASCII characters are refused at registration and at enrollment alike.
    /// </summary>
    public static bool IsValidAgentId(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > ProtocolLimits.MaxIdentifierLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or ':' or '@' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckList(List<string> errors, string field, IReadOnlyList<string>? values, int max)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count > max)
        {
            errors.Add($"{field} has {values.Count} entries; at most {max} are allowed.");
            return;
        }

        foreach (var value in values)
        {
            if (!IsValidIdentifier(value))
            {
                errors.Add($"{field} entry '{Printable(value)}' must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters or invisible format characters.");
            }
        }
    }

    private static bool HasControlCharacter(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }

            if (IsHidden(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Control and format characters, line and paragraph separators, and unpaired surrogates.</summary>
    private static bool IsHidden(char c) => char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format or
        System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator or
        System.Globalization.UnicodeCategory.Surrogate;

    private static string Printable(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        var shortened = value.Length > 40 ? value[..40] + "…" : value;
        return new string(shortened.Select(c => IsHidden(c) ? '?' : c).ToArray());
    }
}
