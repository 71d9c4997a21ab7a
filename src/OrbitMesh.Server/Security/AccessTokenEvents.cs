using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrbitMesh.Server.Security;

/// <summary>
/// What the access tokens need beyond JwtBearer's validation: a malformed <c>Authorization</c> header is
/// refused (not ignored), IdentityModel's failures become the API's reasons, the user is looked up on
/// every request (a deleted user's tokens stop at once, a role change applies to the next request, a
/// password change ends every session through the security stamp), the identity is the API's
/// (<see cref="ApiPrincipal"/>), and refusals are answered by <see cref="ApiChallenge"/>.
/// </summary>
internal sealed class AccessTokenEvents(UserAccounts users, ApiChallenge challenge) : JwtBearerEvents
{
    internal const string BadHeader = "The Authorization header must be 'Bearer <access token>'";

    public override Task MessageReceived(MessageReceivedContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= "Bearer ".Length)
        {
            context.Fail(BadHeader);
            return Task.CompletedTask;
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length == 0)
        {
            context.Fail("The access token is not valid");
        }
        else
        {
            context.Token = token;
        }

        return Task.CompletedTask;
    }

    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        context.Fail(Reason(context.Exception));
        return Task.CompletedTask;
    }

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken { Subject: { Length: > 0 } subject } jwt)
        {
            context.Fail("The access token has no subject");
            return;
        }

        var user = await users.GetAsync(subject, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null)
        {
            context.Fail($"The access token's user '{subject}' no longer exists");
            return;
        }

        var stamp = jwt.TryGetPayloadValue<string>(AccessTokens.StampClaim, out var value) ? value : null;
        if (user.SecurityStamp != stamp)
        {
            context.Fail($"The access token was issued before '{subject}''s password changed; log in again");
            return;
        }

        context.Principal = ApiPrincipal.Create("user:" + user.Username, user.Username, user.Role, "jwt", new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }

    public override async Task Challenge(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        await challenge.WriteAsync(context.HttpContext, context.AuthenticateFailure?.Message, credentialsPresented: true).ConfigureAwait(false);
    }

    /// <summary>The API's reason for one of IdentityModel's validation failures.</summary>
    internal static string Reason(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions: [var only] } => Reason(only),
        SecurityTokenExpiredException or SecurityTokenNoExpirationException => "The access token has expired",
        SecurityTokenNotYetValidException => "The access token is not valid yet",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The access token's signature is not valid",
        SecurityTokenInvalidIssuerException => "The access token has the wrong issuer",
        SecurityTokenInvalidAudienceException => "The access token has the wrong audience",
        SecurityTokenMalformedException => "The access token is malformed",
        _ => "The access token is not valid",
    };
}
