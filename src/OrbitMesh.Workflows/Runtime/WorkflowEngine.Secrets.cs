using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// The engine's handling of a run's secrets: sealed with the <see cref="IWorkflowSecretProtector"/>
/// into the <c>run.started</c> event when the run starts, opened again (in memory only) when the run
/// resumes after a restart or is rolled back.
/// </summary>
public sealed partial class WorkflowEngine
{
    /// <summary>The secrets encrypted as one JSON object, or null when there are none.</summary>
    /// <exception cref="WorkflowValidationException">There are secrets and no protector to encrypt them.</exception>
    private string? Seal(string workflow, IReadOnlyDictionary<string, string>? secrets)
    {
        if (secrets is not { Count: > 0 })
        {
            return null;
        }

        if (_protector is null)
        {
            throw new WorkflowValidationException(workflow, [new WorkflowValidationError(
                WorkflowErrorCodes.InvalidSecret,
                "Secrets need an IWorkflowSecretProtector to be stored encrypted; the OrbitMesh server registers one (AddOrbitMesh), a bare engine does not.")]);
        }

        var sorted = new SortedDictionary<string, string>(secrets.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        return _protector.Protect(JsonSerializer.Serialize(sorted));
    }

    /// <summary>Decrypts a recorded run's secrets; false with the reason when they cannot be (another key ring, no protector).</summary>
    private bool TryOpenSecrets(WorkflowRunState state, out IReadOnlyDictionary<string, string>? secrets, [NotNullWhen(false)] out string? refusal)
    {
        secrets = null;
        refusal = null;
        if (state.SealedSecrets is not { } sealedSecrets)
        {
            return true;
        }

        if (_protector is null)
        {
            refusal = "its secrets are encrypted and this server has no IWorkflowSecretProtector to decrypt them";
            return false;
        }

        try
        {
            secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(_protector.Unprotect(sealedSecrets))
                ?? throw new JsonException("the secrets decrypt to null");
            return true;
        }
        catch (CryptographicException ex)
        {
            refusal = $"its secrets cannot be decrypted: the server's data-protection keys are not the ones they were encrypted with ({ex.Message})";
            return false;
        }
        catch (JsonException ex)
        {
            refusal = $"its secrets decrypt to something that is not a JSON object of names and values ({ex.Message})";
            return false;
        }
    }
}
