using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>Registers users, tokens, API keys, the API scheme, the role policies and the rate limits.</summary>
internal static class SecurityServiceCollectionExtensions
{
    public static void AddOrbitMeshSecurity(this IServiceCollection services)
    {
        services.TryAddSingleton<UserAccounts>();
        services.TryAddSingleton<ApiKeys>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<RefreshTokens>();
        services.TryAddSingleton<SigningKeys>();
        services.TryAddSingleton<AccessTokens>();
        services.TryAddSingleton<SigningKeyConfiguration>();
        services.TryAddSingleton<AccessTokenEvents>();
        services.TryAddSingleton<ApiChallenge>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JwtBearerOptions>, AccessTokenValidation>());
        // Replaces only the framework's default (AddAuthorization registers it first); a host's own handler stays.
        services.RemoveAll<IAuthorizationMiddlewareResultHandler>(d => d.ImplementationType == typeof(Microsoft.AspNetCore.Authorization.Policy.AuthorizationMiddlewareResultHandler));
        services.TryAddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, SecurityStartupFilter>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<Microsoft.Extensions.Hosting.IHostedService, InsecureModeWarning>());

        // One policy scheme in front of the API's credentials, each checked by its own scheme: users'
        // access tokens by the framework's JwtBearer, API keys (and the safe default) by ours.
        services.AddAuthentication()
            .AddPolicyScheme(ApiAuthenticationDefaults.Scheme, "OrbitMesh API", o => o.ForwardDefaultSelector = ApiSchemeSelector.Select)
            .AddJwtBearer(ApiAuthenticationDefaults.BearerScheme, static _ => { })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiAuthenticationDefaults.ApiKeyScheme, configureOptions: null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var (policy, role) in new[] { (OrbitMeshPolicies.Viewer, OrbitMeshRoles.Viewer), (OrbitMeshPolicies.Operator, OrbitMeshRoles.Operator), (OrbitMeshPolicies.Admin, OrbitMeshRoles.Admin) })
        {
            authorization.AddPolicy(policy, p => p
                .AddAuthenticationSchemes(ApiAuthenticationDefaults.Scheme)
                .RequireAuthenticatedUser()
                .AddRequirements(new RoleRequirement(role)));
        }


        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = static async (context, cancellationToken) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                var http = context.HttpContext;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Type = "https://tools.ietf.org/html/rfc6585#section-4",
                    Title = "Too many requests",
                    Status = StatusCodes.Status429TooManyRequests,
                    Detail = $"The rate limit of {http.Request.Path} was reached; retry after {seconds} s.",
                };
                problem.Extensions["code"] = "rate_limited";
                await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", cancellationToken).ConfigureAwait(false);
            };
            o.AddPolicy(OrbitMeshPolicies.LoginRateLimit, http => PerMinute("login:" + RemoteAddress(http), Security(http).LoginPermitsPerMinute));
            o.AddPolicy(OrbitMeshPolicies.EnrollmentRateLimit, http => PerMinute("enroll:" + RemoteAddress(http), Security(http).EnrollmentPermitsPerMinute));
            o.AddPolicy(OrbitMeshPolicies.ApiRateLimit, http => PerMinute(
                "api:" + (SecurityAudit.ActorOf(http.User) is { } actor and not "anonymous" ? actor : RemoteAddress(http)),
                Security(http).ApiPermitsPerMinute));
        });
    }

    private static void RemoveAll<T>(this IServiceCollection services, Func<ServiceDescriptor, bool> predicate)
    {
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(T) && predicate(d)).ToList())
        {
            services.Remove(descriptor);
        }
    }

    private static SecurityOptions Security(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<OrbitMeshServerOptions>>().Value.Security;

    private static string RemoteAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static RateLimitPartition<string> PerMinute(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
