using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Cli.Output;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh users create-admin|list|create|delete|set-role|set-password</c>.</summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The server's data directory (the SQLite database is orbitmesh.db inside).", DefaultValueFactory = _ => "orbitmesh-data" };
        var adminName = new Option<string>("--username") { Description = "The admin's username.", DefaultValueFactory = _ => "admin" };
        var createAdmin = new Command("create-admin", "Create an admin user directly in the database (works before the server first runs); the password is read from standard input.") { data, adminName };
        createAdmin.SetAction(async (result, cancellationToken) =>
        {
            var password = SecurityHttp.ReadSecretLine("password");
            var username = result.GetValue(adminName)!;
            if (UserAccounts.Validate(username, password, OrbitMeshRoles.Admin) is { Count: > 0 } errors)
            {
                throw new CliException(string.Join(" ", errors));
            }

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddOrbitMesh().UseSqlite(Path.Combine(result.GetValue(data)!, "orbitmesh.db"));
            await using var provider = services.BuildServiceProvider();
            var (outcome, problems) = await provider.GetRequiredService<UserAccounts>().CreateAsync(username, password, OrbitMeshRoles.Admin, cancellationToken).ConfigureAwait(false);
            if (outcome != UserCreateOutcome.Created)
            {
                throw new CliException(string.Join(" ", problems));
            }

            await provider.GetRequiredService<SecurityAudit>().RecordAsync(AuditEventTypes.UserChanged, username, reason: "created with role admin by the CLI", actor: "cli", cancellationToken: cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Created the admin user '{username}'.");
            return 0;
        });

        var (server, apiKey, json) = (CommonOptions.Server(), CommonOptions.ApiKey(), CommonOptions.Json());
        var list = new Command("list", "List the users (admin).") { server, apiKey, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            var users = (await SecurityHttp.SendAsync(http, HttpMethod.Get, "/api/users", null, cancellationToken).ConfigureAwait(false))!.Value;
            if (result.GetValue(json))
            {
                Console.Write(SecurityHttp.Print(users));
                return 0;
            }

            var table = new TextTable("USERNAME", "ROLE", "CREATED");
            foreach (var user in users.EnumerateArray())
            {
                table.AddRow(user.GetProperty("username").GetString()!, user.GetProperty("role").GetString()!, user.GetProperty("createdAt").GetDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }

            Console.Write(users.GetArrayLength() == 0 ? "No users." + Environment.NewLine : table.ToString());
            return 0;
        });

        var name = new Argument<string>("name") { Description = "The username." };
        var role = new Option<string>("--role") { Description = "viewer, operator or admin.", Required = true }.AcceptOnlyFromAmong([.. OrbitMeshRoles.All]);
        var create = new Command("create", "Create a user (admin); the password is read from standard input.") { name, role, server, apiKey, json };
        create.SetAction(async (result, cancellationToken) =>
        {
            var password = SecurityHttp.ReadSecretLine("password");
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            var user = (await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/users", new { username = result.GetValue(name), password, role = result.GetValue(role) }, cancellationToken).ConfigureAwait(false))!.Value;
            Console.Write(result.GetValue(json) ? SecurityHttp.Print(user) : $"Created the user '{user.GetProperty("username").GetString()}' with role {user.GetProperty("role").GetString()}.{Environment.NewLine}");
            return 0;
        });

        var deleted = new Argument<string>("name") { Description = "The username." };
        var delete = new Command("delete", "Delete a user and revoke its refresh tokens (admin).") { deleted, server, apiKey };
        delete.SetAction(async (result, cancellationToken) =>
        {
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            await SecurityHttp.SendAsync(http, HttpMethod.Delete, "/api/users/" + Uri.EscapeDataString(result.GetValue(deleted)!), null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Deleted the user '{result.GetValue(deleted)}'.");
            return 0;
        });

        var roleOf = new Argument<string>("name") { Description = "The username." };
        var newRole = new Option<string>("--role") { Description = "viewer, operator or admin.", Required = true }.AcceptOnlyFromAmong([.. OrbitMeshRoles.All]);
        var setRole = new Command("set-role", "Change a user's role (admin); the last admin cannot be demoted.") { roleOf, newRole, server, apiKey, json };
        setRole.SetAction(async (result, cancellationToken) =>
        {
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            var user = (await SecurityHttp.SendAsync(http, HttpMethod.Put, "/api/users/" + Uri.EscapeDataString(result.GetValue(roleOf)!) + "/role", new { role = result.GetValue(newRole) }, cancellationToken).ConfigureAwait(false))!.Value;
            Console.Write(result.GetValue(json) ? SecurityHttp.Print(user) : $"The user '{user.GetProperty("username").GetString()}' now has role {user.GetProperty("role").GetString()}.{Environment.NewLine}");
            return 0;
        });

        var passwordOf = new Argument<string>("name") { Description = "The username." };
        var setPassword = new Command("set-password", "Set a user's password (admin); it is read from standard input. Ends every session of the user.") { passwordOf, server, apiKey };
        setPassword.SetAction(async (result, cancellationToken) =>
        {
            var password = SecurityHttp.ReadSecretLine("new password");
            using var http = CommonOptions.Http(result.GetValue(server)!, result.GetValue(apiKey));
            await SecurityHttp.SendAsync(http, HttpMethod.Put, "/api/users/" + Uri.EscapeDataString(result.GetValue(passwordOf)!) + "/password", new { password }, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Set the password of '{result.GetValue(passwordOf)}'; its sessions have ended.");
            return 0;
        });

        return new Command("users", "Manage users.") { createAdmin, list, create, delete, setRole, setPassword };
    }
}
