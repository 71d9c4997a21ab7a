using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Secret job parameters: at submission their values move out of <see cref="JobRecord.Parameters"/>
/// (which keeps <see cref="Redacted"/> in their place) into <see cref="JobRecord.ProtectedSecrets"/>,
/// encrypted with ASP.NET Core Data Protection; only the assignment sent to the agent carries them in clear.
/// </summary>
internal sealed class JobSecrets(IDataProtectionProvider provider)
{
    /// <summary>What a secret parameter shows instead of its value.</summary>
    public const string Redacted = "[redacted]";

    private readonly IDataProtector _protector = provider.CreateProtector("OrbitMesh.JobSecrets.v1");

    /// <summary>Returns the record with the secret parameters redacted and their values encrypted; the record as is when it has none.</summary>
    public JobRecord Seal(JobRecord record)
    {
        if (record.SecretParameters is not { Count: > 0 } names || record.Parameters is not { ValueKind: JsonValueKind.Object } parameters)
        {
            return record;
        }

        var visible = JsonNode.Parse(parameters.GetRawText())!.AsObject();
        var secrets = new JsonObject();
        foreach (var name in names)
        {
            secrets[name] = visible[name]?.DeepClone();
            visible[name] = Redacted;
        }

        return record with
        {
            Parameters = JsonSerializer.SerializeToElement(visible, OrbitMeshJson.Options),
            ProtectedSecrets = _protector.Protect(secrets.ToJsonString()),
        };
    }

    /// <summary>A redactor for what the job's handler reports (the secret values it might echo); <see cref="SecretRedactor.None"/> without secrets.</summary>
    public SecretRedactor RedactorFor(JobRecord record)
    {
        if (record.ProtectedSecrets is not { } sealedSecrets)
        {
            return SecretRedactor.None;
        }

        try
        {
            return SecretRedactor.From(JsonNode.Parse(_protector.Unprotect(sealedSecrets))!.AsObject());
        }
        catch (CryptographicException)
        {
            // The values cannot be known, so they cannot have been sent to an agent either.
            return SecretRedactor.None;
        }
    }

    /// <summary>
    /// The parameters to send to the agent: <paramref name="parameters"/> (as the dispatch middleware
    /// left them) with the secret values put back. Throws <see cref="JobSecretsUnavailableException"/>
    /// when they cannot be decrypted (the server's keys changed).
    /// </summary>
    public JsonElement? Open(JobRecord record, JsonElement? parameters)
    {
        if (record.ProtectedSecrets is not { } sealedSecrets)
        {
            return parameters;
        }

        JsonObject secrets;
        try
        {
            secrets = JsonNode.Parse(_protector.Unprotect(sealedSecrets))!.AsObject();
        }
        catch (CryptographicException ex)
        {
            throw new JobSecretsUnavailableException(
                $"The secret parameters of job '{record.Id}' cannot be decrypted: the server's data-protection keys are not the ones they were encrypted with ({ex.Message}).", ex);
        }

        var merged = parameters is { ValueKind: JsonValueKind.Object } p ? JsonNode.Parse(p.GetRawText())!.AsObject() : [];
        foreach (var (name, value) in secrets)
        {
            merged[name] = value?.DeepClone();
        }

        return JsonSerializer.SerializeToElement(merged, OrbitMeshJson.Options);
    }
}

/// <summary>A job's secret parameters cannot be decrypted.</summary>
internal sealed class JobSecretsUnavailableException(string message, Exception innerException) : Exception(message, innerException);
