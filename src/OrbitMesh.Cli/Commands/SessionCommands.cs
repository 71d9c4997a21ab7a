using System.CommandLine;
using System.Text.Json;
using OrbitMesh.Cli.Credentials;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh login|logout|refresh|password</c>: a user's session with a server. A login is saved (see
/// <see cref="LoginStore"/>) and used by every later command for that server that has no API key or
/// <c>$ORBITMESH_ACCESS_TOKEN</c>, refreshed when it is about to expire.
/// </summary>
internal static class SessionCommands
{
    public static IEnumerable<Command> Create() => [Login(), Logout(), Refresh(), Password()];

    private static Command Login()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var username = new Option<string>("--username") { Description = "The username.", Required = true };
        var noSave = new Option<bool>("--no-save") { Description = "Do not save the login (print the tokens only)." };
        var printToken = new Option<bool>("--print-token") { Description = "Print only the access token (for $ORBITMESH_ACCESS_TOKEN)." };
        var command = new Command("login", "Log in (the password is read from standard input) and save the login for later commands to this server.") { username, server, noSave, printToken, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var password = SecurityHttp.ReadSecretLine("password");
            var uri = CommonOptions.ParseServer(result.GetValue(server)!);
            using var http = CommonOptions.AnonymousHttp(uri);
            var tokens = (await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/auth/login", new { username = result.GetValue(username), password }, cancellationToken).ConfigureAwait(false))!.Value;
            var saved = SavedLoginTokens.FromTokens(result.GetValue(username)!, tokens);
            var store = LoginStore.Default();
            if (!result.GetValue(noSave))
            {
                await store.UpdateAsync(logins => Task.FromResult(logins[LoginStore.KeyOf(uri)] = saved), cancellationToken).ConfigureAwait(false);
            }

            Console.Write(
                result.GetValue(json) ? SecurityHttp.Print(tokens)
                : result.GetValue(printToken) ? saved.AccessToken + Environment.NewLine
                : $"Logged in to {LoginStore.KeyOf(uri)} as '{saved.Username}' (role {saved.Role}){(result.GetValue(noSave) ? "; not saved" : "; saved in " + store.Path)}.{Environment.NewLine}");
            return 0;
        });

        return command;
    }

    private static Command Logout()
    {
        var server = CommonOptions.Server();
        var command = new Command("logout", "End the saved login to this server: the server revokes its refresh token and the CLI forgets it.") { server };
        command.SetAction(async (result, cancellationToken) =>
        {
            var uri = CommonOptions.ParseServer(result.GetValue(server)!);
            var store = LoginStore.Default();
            var ended = await store.UpdateAsync<(SavedLogin Saved, string? Failure)>(async logins =>
            {
                if (!logins.Remove(LoginStore.KeyOf(uri), out var saved))
                {
                    throw new CliException($"Not logged in to {LoginStore.KeyOf(uri)} (no saved login in {store.Path}).");
                }

                // Forgotten locally even when the server cannot be reached: the error says the server still holds it.
                using var http = CommonOptions.AnonymousHttp(uri);
                try
                {
                    await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/auth/logout", new { refreshToken = saved.RefreshToken }, cancellationToken).ConfigureAwait(false);
                }
                catch (CliException ex)
                {
                    return (saved, ex.Message);
                }

                return (saved, null);
            }, cancellationToken).ConfigureAwait(false);

            if (ended.Failure is { } failure)
            {
                throw new CliException($"Forgot the saved login of '{ended.Saved.Username}', but the server did not revoke it ({failure}); its access token stays valid until {Format(ended.Saved.ExpiresAt)}.");
            }

            Console.WriteLine($"Logged out '{ended.Saved.Username}' from {LoginStore.KeyOf(uri)}.");
            return 0;
        });

        return command;
    }

    private static Command Refresh()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var printToken = new Option<bool>("--print-token") { Description = "Print only the new access token." };
        var command = new Command("refresh", "Exchange the saved login's refresh token for new tokens now (commands do it by themselves when the access token is about to expire).") { server, printToken, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var uri = CommonOptions.ParseServer(result.GetValue(server)!);
            var renewed = await SavedLoginTokens.RefreshAsync(LoginStore.Default(), uri, force: true, cancellationToken).ConfigureAwait(false);
            Console.Write(
                result.GetValue(json) ? JsonSerializer.Serialize(new { renewed.Username, renewed.Role, renewed.ExpiresAt, renewed.RefreshExpiresAt }, OrbitMeshJson.Options) + Environment.NewLine
                : result.GetValue(printToken) ? renewed.AccessToken + Environment.NewLine
                : $"Refreshed the login of '{renewed.Username}' at {LoginStore.KeyOf(uri)}: the access token is valid until {Format(renewed.ExpiresAt)}, the login until {Format(renewed.RefreshExpiresAt)}.{Environment.NewLine}");
            return 0;
        });

        return command;
    }

    private static Command Password()
    {
        var server = CommonOptions.Server();
        var command = new Command("password", "Change the logged-in user's own password: the current and the new one on standard input, one per line. Ends the user's other sessions.") { server };
        command.SetAction(async (result, cancellationToken) =>
        {
            var current = SecurityHttp.ReadSecretLine("current password (first line)");
            var next = SecurityHttp.ReadSecretLine("new password (second line)");
            var uri = CommonOptions.ParseServer(result.GetValue(server)!);
            var store = LoginStore.Default();
            var fromVariable = Environment.GetEnvironmentVariable(CommonOptions.AccessTokenVariable) is { Length: > 0 } variable ? variable : null;
            var access = fromVariable
                ?? await new SavedLoginTokens(store, uri).GetAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"Not logged in to {LoginStore.KeyOf(uri)}: run 'orbitmesh login --username NAME' first.");
            using var http = CommonOptions.AnonymousHttp(uri);
            http.DefaultRequestHeaders.Authorization = new("Bearer", access);
            var issued = (await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/auth/password", new { currentPassword = current, newPassword = next }, cancellationToken).ConfigureAwait(false))!.Value;
            var username = fromVariable is null ? store.Get(uri)?.Username : null;
            if (username is not null)
            {
                // The old refresh token was revoked with the change; the answer's tokens replace it.
                await store.UpdateAsync(logins => Task.FromResult(logins[LoginStore.KeyOf(uri)] = SavedLoginTokens.FromTokens(username, issued)), cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine(username is null
                ? "Changed the password; every session of the user has ended: log in again."
                : $"Changed the password of '{username}'; its other sessions have ended, this one is saved.");
            return 0;
        });

        return command;
    }

    private static string Format(DateTimeOffset at) => at.ToString("u", System.Globalization.CultureInfo.InvariantCulture);
}
