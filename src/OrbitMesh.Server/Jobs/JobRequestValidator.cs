using System.Text.Json;
using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Jobs;

/// <summary>Checks a job request before anything is stored; every problem is reported at once.</summary>
internal static class JobRequestValidator
{
    public static void Validate(JobRequest request, JobOptions options)
    {
        var errors = new List<string>();
        if (request is null)
        {
            throw new MeshValidationException(["The job request is missing."]);
        }

        if (!RegistrationValidator.IsValidIdentifier(request.Command))
        {
            errors.Add($"command must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters or invisible format characters.");
        }

        if (!RegistrationValidator.IsValidIdentifier(request.Id))
        {
            errors.Add($"id must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters or invisible format characters.");
        }

        if (request.MaxAttempts < 1 || request.MaxAttempts > options.MaxAttemptsLimit)
        {
            errors.Add($"maxAttempts must be between 1 and {options.MaxAttemptsLimit}; it was {request.MaxAttempts}.");
        }

        if (request.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromDays(7)))
        {
            errors.Add("timeout must be positive and at most 7 days.");
        }

        if (request.IdempotencyKey is { } key && (key.Length is 0 or > 256 || key.Any(char.IsControl)))
        {
            errors.Add("idempotencyKey must be 1 to 256 characters without control characters or invisible format characters.");
        }

        if (request.CorrelationId is { } correlation && (correlation.Length > 256 || correlation.Any(char.IsControl)))
        {
            errors.Add("correlationId must be at most 256 characters without control characters or invisible format characters.");
        }

        if (!Enum.IsDefined(request.Priority))
        {
            errors.Add("priority must be Low, Normal or High.");
        }

        if (!Enum.IsDefined(request.Pattern))
        {
            errors.Add("pattern is not a known execution pattern.");
        }

        if (request.Target is { } target)
        {
            var set = (target.AgentId is null ? 0 : 1) + (target.Capability is null ? 0 : 1) + (target.Group is null ? 0 : 1);
            if (set > 1)
            {
                errors.Add("target must name exactly one of agentId, capability or group.");
            }

            foreach (var value in new[] { target.AgentId, target.Capability, target.Group })
            {
                if (value is not null && !RegistrationValidator.IsValidIdentifier(value))
                {
                    errors.Add($"target value '{value}' must be 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters or invisible format characters.");
                }
            }
        }

        if (request.Parameters is { } parameters)
        {
            if (parameters.ValueKind == JsonValueKind.Undefined)
            {
                errors.Add("parameters are not valid JSON.");
            }
            else if (parameters.GetRawText().Length > options.MaxParametersBytes)
            {
                errors.Add($"parameters are larger than {options.MaxParametersBytes} bytes.");
            }
            else if (Api.JsonText.FindInvalidText(parameters, "parameters") is { } where)
            {
                // Such text cannot be written to an agent; sending it would cost the agent its connection.
                errors.Add($"parameters hold text that is not valid Unicode at {where}.");
            }
        }

        if (request.SecretParameters is { Count: > 0 } secrets)
        {
            if (request.Parameters is not { ValueKind: JsonValueKind.Object } objectParameters)
            {
                errors.Add("secretParameters needs parameters that are a JSON object.");
            }
            else
            {
                foreach (var name in secrets)
                {
                    if (string.IsNullOrEmpty(name) || !objectParameters.TryGetProperty(name, out _))
                    {
                        errors.Add($"secretParameters names '{name}', which is not a parameter.");
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new MeshValidationException(errors);
        }
    }
}
