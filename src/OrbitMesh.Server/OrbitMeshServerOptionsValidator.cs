using Microsoft.Extensions.Options;

namespace OrbitMesh.Server;

/// <summary>Checks what DataAnnotations cannot: rules that span several settings.</summary>
internal sealed class OrbitMeshServerOptionsValidator : IValidateOptions<OrbitMeshServerOptions>
{
    public ValidateOptionsResult Validate(string? name, OrbitMeshServerOptions options)
    {
        var errors = new List<string>();
        foreach (var token in options.AgentTokens)
        {
            if (string.IsNullOrWhiteSpace(token) || token.Length < 8)
            {
                errors.Add("Every agent token must be at least 8 characters long.");
                break;
            }
        }

        if (options.ApiKey is { } apiKey && apiKey.Length < 8)
        {
            errors.Add("ApiKey must be at least 8 characters long.");
        }
        else if (options.ApiKey is { } storedLooking && storedLooking.StartsWith("omk_", StringComparison.Ordinal))
        {
            // A stored key has its own role and can be revoked; as the static key it would be admin for good.
            errors.Add("ApiKey must not be a stored API key (omk_...): stored keys carry their own role and revocation. Give a separate secret as the static admin key.");
        }

        if (options.ClientTimeoutInterval < options.KeepAliveInterval * 2)
        {
            errors.Add($"ClientTimeoutInterval ({options.ClientTimeoutInterval}) must be at least twice KeepAliveInterval ({options.KeepAliveInterval}).");
        }

        if (options.ClientTimeoutInterval <= options.HeartbeatInterval)
        {
            errors.Add($"ClientTimeoutInterval ({options.ClientTimeoutInterval}) must be longer than HeartbeatInterval ({options.HeartbeatInterval}): the server closes agent connections that send no heartbeat for that long.");
        }

        foreach (var section in new object[] { options.Jobs, options.Resilience, options.Retention, options.Security })
        {
            var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(section, new(section), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => $"{section.GetType().Name}: {r.ErrorMessage}"));
            }
        }

        if (options.Jobs.RetryMaxDelay < options.Jobs.RetryBaseDelay)
        {
            errors.Add("Jobs.RetryMaxDelay must be at least Jobs.RetryBaseDelay.");
        }

        if (options.Security.CertificateRenewalWindow >= options.Security.CertificateLifetime)
        {
            errors.Add("Security.CertificateRenewalWindow must be shorter than Security.CertificateLifetime.");
        }

        if (options.Security.AccessTokenLifetime < TimeSpan.FromSeconds(30) || options.Security.AccessTokenLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"Security.AccessTokenLifetime ({options.Security.AccessTokenLifetime}) must be between 30 seconds and 1 day.");
        }

        if (options.Security.RefreshTokenLifetime <= options.Security.AccessTokenLifetime)
        {
            errors.Add($"Security.RefreshTokenLifetime ({options.Security.RefreshTokenLifetime}) must be longer than Security.AccessTokenLifetime ({options.Security.AccessTokenLifetime}).");
        }

        foreach (var type in options.Middleware)
        {
            if (!typeof(Execution.IMeshMiddleware).IsAssignableFrom(type) || type.IsAbstract)
            {
                errors.Add($"Middleware {type} is not a concrete IMeshMiddleware.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
