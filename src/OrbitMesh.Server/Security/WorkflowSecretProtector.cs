using Microsoft.AspNetCore.DataProtection;
using OrbitMesh.Workflows;

namespace OrbitMesh.Server.Security;

/// <summary>Encrypts workflow secrets (webhook trigger secrets) with ASP.NET Core Data Protection, under the server's key ring.</summary>
internal sealed class WorkflowSecretProtector(IDataProtectionProvider provider) : IWorkflowSecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("OrbitMesh.WorkflowSecrets.v1");

    public string Protect(string plaintext) => _protector.Protect(plaintext);

    public string Unprotect(string protectedValue) => _protector.Unprotect(protectedValue);
}
