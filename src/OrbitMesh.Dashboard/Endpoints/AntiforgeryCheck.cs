using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>An endpoint filter refusing (400) a form post without a valid antiforgery token.</summary>
internal static class AntiforgeryCheck
{
    public static async ValueTask<object?> RequireValidTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(context.HttpContext).ConfigureAwait(false))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: "The form's antiforgery token is missing or invalid; reload the page and try again.");
        }

        return await next(context).ConfigureAwait(false);
    }
}
