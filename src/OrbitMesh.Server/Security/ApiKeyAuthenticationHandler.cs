using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The REST API's scheme for requests without an <c>Authorization</c> header
/// (<see cref="ApiAuthenticationDefaults.ApiKeyScheme"/>): an API key in <c>X-Api-Key</c> (a stored
/// <c>omk_</c> key, or the static <see cref="OrbitMeshServerOptions.ApiKey"/> as admin), or no credentials,
/// where the safe default applies (<see cref="AnonymousApiAccess"/>). A key that is presented but invalid
/// is always refused. Refusals are answered by <see cref="ApiChallenge"/>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<OrbitMeshServerOptions> meshOptions,
    ApiKeys apiKeys,
    UserAccounts users,
    ApiChallenge challenge)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    internal const string UnknownKey = "The X-Api-Key header does not hold a valid key";

    private readonly byte[]? _staticKey = meshOptions.Value.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;
    private readonly SecurityOptions _security = meshOptions.Value.Security;

    private string PresentedKey => Request.Headers[ApiAuthenticationDefaults.ApiKeyHeader].ToString();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var apiKey = PresentedKey;
        if (apiKey.Length > 0)
        {
            if (_staticKey is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)), _staticKey))
            {
                return Success(ApiPrincipal.Create("apikey:static", "apikey:static", OrbitMeshRoles.Admin, "apikey"));
            }

            var record = await apiKeys.ValidateAsync(apiKey, Context.RequestAborted).ConfigureAwait(false);
            if (record is null)
            {
                return AuthenticateResult.Fail(UnknownKey);
            }

            if (apiKeys.HasExpired(record))
            {
                return AuthenticateResult.Fail($"The API key '{record.Id}' expired at {record.ExpiresAt!.Value.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}");
            }

            // Deleting a user revokes their keys; this also covers a key whose creator was deleted before that rule.
            if (ApiKeys.CreatingUser(record) is { } creator && await users.GetAsync(creator, Context.RequestAborted).ConfigureAwait(false) is null)
            {
                return AuthenticateResult.Fail($"The API key's creator '{creator}' no longer exists");
            }

            return Success(ApiPrincipal.Create("apikey:" + record.Id, record.Name, record.Role, "apikey"));
        }

        // No credentials and no anonymous access: "no result", not a failure. Anonymous-by-design routes
        // (enrollment, login) see it on every call, and ASP.NET Core logs a failure at Information,
        // twice per request; the refusal's reason is worked out again in the challenge.
        var refusal = AnonymousApiAccess.Decide(_security, Context.Connection.RemoteIpAddress);
        return refusal switch
        {
            null => Success(ApiPrincipal.Create("anonymous", "anonymous", OrbitMeshRoles.Admin, "anonymous")),
            AnonymousApiAccess.Refused => AuthenticateResult.NoResult(),
            _ => AuthenticateResult.Fail(refusal),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        await challenge.WriteAsync(Context, result.Failure?.Message, credentialsPresented: PresentedKey.Length > 0).ConfigureAwait(false);
    }

    private AuthenticateResult Success(System.Security.Claims.ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
}
