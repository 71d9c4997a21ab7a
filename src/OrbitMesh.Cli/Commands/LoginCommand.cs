using System.CommandLine;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh login --username U</c>: the password from standard input; prints the access token.</summary>
internal static class LoginCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var json = CommonOptions.Json();
        var username = new Option<string>("--username") { Description = "The username.", Required = true };
        var command = new Command("login", "Log in (the password is read from standard input) and print the access token, for $ORBITMESH_ACCESS_TOKEN.") { username, server, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var password = SecurityHttp.ReadSecretLine("password");
            using var http = new HttpClient { BaseAddress = CommonOptions.ParseServer(result.GetValue(server)!), Timeout = TimeSpan.FromSeconds(100) };
            var tokens = (await SecurityHttp.SendAsync(http, HttpMethod.Post, "/api/auth/login", new { username = result.GetValue(username), password }, cancellationToken).ConfigureAwait(false))!.Value;
            Console.Write(result.GetValue(json) ? SecurityHttp.Print(tokens) : tokens.GetProperty("accessToken").GetString() + Environment.NewLine);
            return 0;
        });

        return command;
    }
}
