using System.CommandLine;
using OrbitMesh.Cli.Output;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh api-keys create|list|revoke</c>.</summary>
internal static class ApiKeysCommand
{
    public static Command Create()
    {
        var (server, apiKey, json) = (CommonOptions.Server(), CommonOptions.ApiKey(), CommonOptions.Json());
        var name = new Option<string>("--name") { Description = "A label for the key.", Required = true };
        var role = new Option<string>("--role") { Description = "viewer, operator or admin.", Required = true }.AcceptOnlyFromAmong([.. OrbitMeshRoles.All]);
        var expiresIn = new Option<string?>("--expires-in") { Description = "The key stops working after this long (90s, 30m, 12h, 30d); default: never." };
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "The key stops working at this time (ISO 8601, e.g. 2027-06-30T00:00:00Z); default: never." };
        var create = new Command("create", "Create an API key (admin); it is shown only this once.") { name, role, expiresIn, expiresAt, server, apiKey, json };
        create.Validators.Add(result =>
        {
            if (result.GetResult(expiresIn) is not null && result.GetResult(expiresAt) is not null)
            {
                result.AddError("Give --expires-in or --expires-at, not both.");
            }
        });
        create.SetAction(async (result, cancellationToken) =>
        {
            var expires = result.GetValue(expiresIn) is { } after
                ? DateTimeOffset.UtcNow + CommonOptions.ParseDuration(after, "--expires-in")
                : result.GetValue(expiresAt);
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            var key = (await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/api-keys", new { name = result.GetValue(name), role = result.GetValue(role), expiresAt = expires }, cancellationToken).ConfigureAwait(false))!.Value;
            Console.Write(result.GetValue(json) ? SecurityHttp.Print(key) : key.GetProperty("key").GetString() + Environment.NewLine);
            return 0;
        });

        var list = new Command("list", "List the API keys, without their secrets (admin).") { server, apiKey, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            var keys = (await SecurityHttp.SendAsync(http, HttpMethod.Get, "/api/api-keys", null, cancellationToken).ConfigureAwait(false))!.Value;
            if (result.GetValue(json))
            {
                Console.Write(SecurityHttp.Print(keys));
                return 0;
            }

            var table = new TextTable("ID", "NAME", "ROLE", "CREATED BY", "EXPIRES");
            foreach (var key in keys.EnumerateArray())
            {
                table.AddRow(key.GetProperty("id").GetString()!, key.GetProperty("name").GetString()!, key.GetProperty("role").GetString()!, key.TryGetProperty("createdBy", out var by) ? by.GetString() ?? "" : "", Expiry(key));
            }

            Console.Write(keys.GetArrayLength() == 0 ? "No API keys." + Environment.NewLine : table.ToString());
            return 0;
        });

        var id = new Argument<string>("id") { Description = "The key's id (from list)." };
        var revoke = new Command("revoke", "Revoke an API key (admin).") { id, server, apiKey };
        revoke.SetAction(async (result, cancellationToken) =>
        {
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            await SecurityHttp.SendAsync(http, HttpMethod.Delete, "/api/api-keys/" + Uri.EscapeDataString(result.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Revoked the API key '{result.GetValue(id)}'.");
            return 0;
        });

        return new Command("api-keys", "Manage API keys.") { create, list, revoke };
    }

    private static string Expiry(System.Text.Json.JsonElement key) =>
        !key.TryGetProperty("expiresAt", out var at) || at.ValueKind == System.Text.Json.JsonValueKind.Null ? "never"
        : key.TryGetProperty("expired", out var expired) && expired.GetBoolean() ? "expired " + at.GetDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture)
        : at.GetDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture);
}
