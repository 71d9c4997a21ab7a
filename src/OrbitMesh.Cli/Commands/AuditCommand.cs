using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Storage;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh audit</c>: the security audit trail, newest first.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var type = new Option<string?>("--type") { Description = "Only events of this type (e.g. auth.failed), or a prefix ending in .* (e.g. token.*)." };
        var subject = new Option<string?>("--subject") { Description = "Only events about this token, node or user." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only events at or after this time (ISO 8601)." };
        var limit = new Option<int>("--limit") { Description = "At most this many (1 to 1000).", DefaultValueFactory = _ => 100 };
        var command = new Command("audit", "Show the security audit trail, newest first.") { server, apiKey, type, subject, since, limit, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var query = new List<string> { "limit=" + result.GetValue(limit).ToString(CultureInfo.InvariantCulture) };
            if (result.GetValue(type) is { } t)
            {
                query.Add("type=" + Uri.EscapeDataString(t));
            }

            if (result.GetValue(subject) is { } s)
            {
                query.Add("subject=" + Uri.EscapeDataString(s));
            }

            if (result.GetValue(since) is { } at)
            {
                query.Add("since=" + Uri.EscapeDataString(at.ToString("O", CultureInfo.InvariantCulture)));
            }

            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var entries = await rest.SendAsync<List<AuditEntry>>(HttpMethod.Get, "api/audit?" + string.Join("&", query), null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries, OrbitMeshJson.Options));
                return 0;
            }

            var table = new TextTable("#", "TIME", "TYPE", "OK", "ACTOR", "SUBJECT", "FROM", "REASON");
            foreach (var entry in entries)
            {
                table.AddRow(
                    entry.Sequence.ToString(CultureInfo.InvariantCulture),
                    entry.Timestamp.ToString("u", CultureInfo.InvariantCulture),
                    entry.Type,
                    entry.Success ? "yes" : "NO",
                    entry.Actor,
                    entry.Subject,
                    entry.RemoteAddress,
                    entry.Reason);
            }

            Console.Write(entries.Count == 0 ? "No audit entries." + Environment.NewLine : table.ToString());
            return 0;
        });
        return command;
    }
}
