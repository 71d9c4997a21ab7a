using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Security;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh tokens create|list|revoke</c>: bootstrap tokens for enrolling nodes (admin).</summary>
internal static class TokensCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var ttl = new Option<string?>("--ttl") { Description = "How long the token lives: 90s, 30m, 1h, 7d (default: the server's, 1h)." };
        var uses = new Option<int>("--uses") { Description = "Enrollments it allows (default 1).", DefaultValueFactory = _ => 1 };
        var capabilities = new Option<string[]>("--capability") { Description = "A capability nodes enrolled with it are offered (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var description = new Option<string?>("--description") { Description = "A note for admins." };
        var create = new Command("create", "Create a bootstrap token; it is printed once.") { server, apiKey, ttl, uses, capabilities, description, json };
        create.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var token = await rest.SendAsync<BootstrapTokenView>(HttpMethod.Post, "api/tokens", new BootstrapTokenRequest
            {
                TtlSeconds = result.GetValue(ttl) is { } text ? CommonOptions.ParseDuration(text, "--ttl").TotalSeconds : null,
                Uses = result.GetValue(uses),
                Capabilities = result.GetValue(capabilities) ?? [],
                Description = result.GetValue(description),
            }, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json)
                ? JsonSerializer.Serialize(token, OrbitMeshJson.Options) + Environment.NewLine
                : $"{token.Token}{Environment.NewLine}Token {token.Id}: {token.Uses} use(s), expires {token.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}. It is not shown again.{Environment.NewLine}");
            return 0;
        });

        var listJson = CommonOptions.Json();
        var listServer = CommonOptions.Server();
        var listKey = CommonOptions.ApiKey();
        var list = new Command("list", "List bootstrap tokens (never their secrets).") { listServer, listKey, listJson };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(listServer)!, result.GetValue(listKey));
            var tokens = await rest.SendAsync<List<BootstrapTokenView>>(HttpMethod.Get, "api/tokens", null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(listJson))
            {
                Console.WriteLine(JsonSerializer.Serialize(tokens, OrbitMeshJson.Options));
                return 0;
            }

            var table = new TextTable("ID", "STATE", "USES LEFT", "EXPIRES", "CAPABILITIES", "CREATED BY", "DESCRIPTION");
            foreach (var token in tokens)
            {
                table.AddRow(token.Id, token.State, $"{token.UsesLeft}/{token.Uses}", token.ExpiresAt.ToString("u", CultureInfo.InvariantCulture), string.Join(",", token.Capabilities), token.CreatedBy, token.Description);
            }

            Console.Write(tokens.Count == 0 ? "No bootstrap tokens." + Environment.NewLine : table.ToString());
            return 0;
        });

        var revokeServer = CommonOptions.Server();
        var revokeKey = CommonOptions.ApiKey();
        var id = new Argument<string>("id") { Description = "The token's id." };
        var revoke = new Command("revoke", "Revoke a bootstrap token.") { id, revokeServer, revokeKey };
        revoke.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(revokeServer)!, result.GetValue(revokeKey));
            await rest.SendAsync(HttpMethod.Delete, "api/tokens/" + Uri.EscapeDataString(result.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Token {result.GetValue(id)} revoked.");
            return 0;
        });

        return new Command("tokens", "Bootstrap tokens for enrolling nodes (admin).") { create, list, revoke };
    }
}
