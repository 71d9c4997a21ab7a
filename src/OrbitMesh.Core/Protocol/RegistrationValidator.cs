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

        CheckIdentifier(errors, "id", registration.Id);
        if (registration.Name is { } name && (name.Length > ProtocolLimits.MaxNameLength || HasControlCharacter(name)))
        {
            errors.Add($"name must be at most {ProtocolLimits.MaxNameLength} characters without control characters.");
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
                    errors.Add($"metadata key '{Printable(key)}' must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters.");
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

    /// <summary>True when <paramref name="value"/> is a valid id, capability, group or command name.</summary>
    public static bool IsValidIdentifier(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= ProtocolLimits.MaxIdentifierLength && !HasControlCharacter(value);

    private static void CheckIdentifier(List<string> errors, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{field} is required.");
        }
        else if (value.Length > ProtocolLimits.MaxIdentifierLength)
        {
            errors.Add($"{field} is {value.Length} characters long; at most {ProtocolLimits.MaxIdentifierLength} are allowed.");
        }
        else if (HasControlCharacter(value))
        {
            errors.Add($"{field} must not contain control characters.");
        }
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
                errors.Add($"{field} entry '{Printable(value)}' must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters.");
            }
        }
    }

    private static bool HasControlCharacter(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static string Printable(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        var shortened = value.Length > 40 ? value[..40] + "…" : value;
        return new string(shortened.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
