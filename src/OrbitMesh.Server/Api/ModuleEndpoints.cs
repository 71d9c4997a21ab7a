using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Modules;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Security.Nodes;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Api;

/// <summary>
/// <c>/api/modules</c>: WebAssembly modules, uploaded by admins and listed for viewers; and
/// <c>/api/agent/modules</c>, where agents resolve a module to its digest and download its bytes.
/// </summary>
internal static class ModuleEndpoints
{
    /// <summary>The largest module the server takes.</summary>
    public const int MaxModuleBytes = 16 * 1024 * 1024;

    private static ReadOnlySpan<byte> WasmMagic => [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

    public static RouteGroupBuilder MapModuleEndpoints(this RouteGroupBuilder api, bool operatorsMayUpload)
    {
        api.MapPost("/modules/{name}", async (HttpContext context, IModuleStore store, SecurityAudit audit, TimeProvider time, string name, string? version) =>
        {
            if (!WasmModuleName.IsValidPart(name) || (version is not null && !WasmModuleName.IsValidPart(version)))
            {
                return ApiResults.BadRequest($"The module name and version must be {WasmModuleName.Rule}.");
            }

            var (content, problem) = await ReadModuleAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            if (content is null)
            {
                return problem!;
            }

            var digest = Convert.ToHexStringLower(SHA256.HashData(content));
            version ??= await NextVersionAsync(store, name, context.RequestAborted).ConfigureAwait(false);
            var info = new WasmModuleInfo
            {
                Name = name,
                Version = version,
                Sha256 = digest,
                Size = content.Length,
                UploadedAt = time.GetUtcNow(),
                UploadedBy = SecurityAudit.ActorOf(context.User),
            };
            var outcome = await store.AddAsync(info, content, context.RequestAborted).ConfigureAwait(false);
            var subject = name + "@" + version;
            switch (outcome)
            {
                case ModuleAddOutcome.Conflict:
                    await audit.RecordAsync(AuditEventTypes.ModuleUploaded, subject, context, success: false, reason: "other bytes are stored under this version", cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    return ApiResults.Conflict($"Module '{subject}' exists with other content; versions are immutable, upload under a new version.");
                case ModuleAddOutcome.AlreadyStored:
                    return ApiResults.Json(await store.GetAsync(name, version, context.RequestAborted).ConfigureAwait(false));
                default:
                    await audit.RecordAsync(AuditEventTypes.ModuleUploaded, subject, context, reason: "sha256 " + digest, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    return ApiResults.Json(info, StatusCodes.Status201Created);
            }
        }).RequireAuthorization(operatorsMayUpload ? OrbitMeshPolicies.Operator : OrbitMeshPolicies.Admin).WithName("UploadModule");

        api.MapGet("/modules", async (IModuleStore store, CancellationToken ct) =>
            ApiResults.Json(await store.ListAsync(ct).ConfigureAwait(false))).WithName("ListModules");

        api.MapGet("/modules/{name}", async (IModuleStore store, string name, CancellationToken ct) =>
        {
            var versions = (await store.ListAsync(ct).ConfigureAwait(false)).Where(m => m.Name == name).ToList();
            return versions.Count == 0 ? ApiResults.NotFound($"No module named '{name}' exists.") : ApiResults.Json(versions);
        }).WithName("GetModuleVersions");
        return api;
    }

    /// <summary>The routes agents use, authenticated as agents (shared token or a node's proof).</summary>
    public static void MapAgentModuleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var agent = endpoints.MapGroup("/api/agent")
            .RequireAuthorization(OrbitMeshPolicies.Agent)
            .RequireRateLimiting(OrbitMeshPolicies.ApiRateLimit);
        agent.MapGet("/modules/{name}", async (HttpContext context, IModuleStore store, string name, string? version) =>
        {
            if (Refusal(context, name) is { } refused)
            {
                return refused;
            }

            return await store.GetAsync(name, version, context.RequestAborted).ConfigureAwait(false) is { } info
                ? ApiResults.Json(info)
                : ApiResults.NotFound(version is null ? $"No module named '{name}' exists." : $"No module '{name}@{version}' exists.");
        }).WithName("ResolveModuleForAgent");

        agent.MapGet("/modules/{name}/{version}/content", async (HttpContext context, IModuleStore store, string name, string version) =>
        {
            if (Refusal(context, name) is { } refused)
            {
                return refused;
            }

            var info = await store.GetAsync(name, version, context.RequestAborted).ConfigureAwait(false);
            var content = info is null ? null : await store.GetContentAsync(name, version, context.RequestAborted).ConfigureAwait(false);
            if (info is null || content is null)
            {
                return ApiResults.NotFound($"No module '{name}@{version}' exists.");
            }

            context.Response.Headers["X-OrbitMesh-Sha256"] = info.Sha256;
            return Results.Bytes(content, "application/wasm");
        }).WithName("DownloadModuleForAgent");
    }

    /// <summary>An enrolled node fetches only the modules its grants let it run (<c>wasm.NAME</c>); shared-token agents are unrestricted.</summary>
    private static IResult? Refusal(HttpContext context, string name)
    {
        if (context.User.FindFirst(AgentTokenAuthenticationHandler.NodeClaim) is null)
        {
            return null;
        }

        var capability = "wasm." + name;
        var granted = context.User.FindAll(AgentTokenAuthenticationHandler.GrantClaim).Any(g => CapabilityGrants.Matches(g.Value, capability));
        return granted ? null : ApiResults.Problem(StatusCodes.Status403Forbidden, MeshErrorCodes.NotAllowed, $"This node was not granted '{capability}'.");
    }

    private static async Task<(byte[]? Content, IResult? Problem)> ReadModuleAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxModuleBytes)
        {
            return (null, ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "too_large", $"A module may be at most {MaxModuleBytes} bytes."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxModuleBytes)
            {
                return (null, ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "too_large", $"A module may be at most {MaxModuleBytes} bytes."));
            }

            buffer.Write(chunk, 0, read);
        }

        var content = buffer.ToArray();
        return content.AsSpan().StartsWith(WasmMagic)
            ? (content, null)
            : (null, ApiResults.BadRequest("The body is not a WebAssembly binary module (it must start with \\0asm and version 1; compile text with wat2wasm first)."));
    }

    private static async Task<string> NextVersionAsync(IModuleStore store, string name, CancellationToken cancellationToken)
    {
        var taken = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Where(m => m.Name == name).Select(m => m.Version).ToHashSet(StringComparer.Ordinal);
        var next = taken.Count + 1;
        while (taken.Contains(next.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            next++;
        }

        return next.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
