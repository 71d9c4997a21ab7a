using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;
using OrbitMesh.Security;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh nodes pending|list|show|approve|reject|revoke|remove</c>: enrolled nodes (admin).</summary>
internal static class NodesCommand
{
    public static Command Create() => new("nodes", "Enrolled nodes and enrollment requests (admin).")
    {
        ListCommand("pending", "List nodes waiting for approval.", NodeStatus.Pending),
        ListCommand("list", "List every enrolled node and request.", null),
        ShowCommand(),
        DecisionCommand("approve", "Approve a pending node; it gets a certificate with the granted capabilities.", withCapabilities: true),
        DecisionCommand("reject", "Reject a pending node.", withCapabilities: false),
        DecisionCommand("revoke", "Revoke a node: its connections close at once and it can no longer connect.", withCapabilities: false),
        RemoveCommand(),
    };

    internal static string Render(IReadOnlyList<NodeView> nodes)
    {
        if (nodes.Count == 0)
        {
            return "No nodes." + Environment.NewLine;
        }

        var table = new TextTable("ID", "STATUS", "REQUESTED", "TOKEN ALLOWS", "GRANTED", "KEY SHA-256", "FROM", "CERTIFICATE EXPIRES");
        foreach (var node in nodes)
        {
            table.AddRow(
                node.Id,
                node.Status.ToString(),
                string.Join(",", node.RequestedCapabilities),
                string.Join(",", node.OfferedCapabilities),
                string.Join(",", node.GrantedCapabilities),
                node.KeyFingerprint[..16],
                node.RemoteAddress,
                node.CertificateExpiresAt?.ToString("u", CultureInfo.InvariantCulture));
        }

        return table.ToString();
    }

    private static Command ListCommand(string name, string description, NodeStatus? status)
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var command = new Command(name, description) { server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var nodes = await rest.SendAsync<List<NodeView>>(HttpMethod.Get, status is null ? "api/nodes" : "api/nodes?status=" + status, null, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(nodes, OrbitMeshJson.Options) + Environment.NewLine : Render(nodes));
            return 0;
        });
        return command;
    }

    private static Command ShowCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var id = new Argument<string>("id") { Description = "The node's id." };
        var command = new Command("show", "Show one node, with its full key fingerprint.") { id, server, apiKey, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var node = await rest.SendAsync<NodeView>(HttpMethod.Get, "api/nodes/" + Uri.EscapeDataString(result.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json)
                ? JsonSerializer.Serialize(node, OrbitMeshJson.Options) + Environment.NewLine
                : Render([node]) + $"Key SHA-256: {node.KeyFingerprint}{Environment.NewLine}");
            return 0;
        });
        return command;
    }

    private static Command DecisionCommand(string name, string description, bool withCapabilities)
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var id = new Argument<string>("id") { Description = "The node's id." };
        var capabilities = new Option<string[]>("--capability") { Description = "A capability to grant (repeatable; default: those it requested).", Arity = ArgumentArity.ZeroOrMore };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the node's record and the audit trail)." };
        var command = new Command(name, description) { id, server, apiKey, json };
        command.Add(withCapabilities ? capabilities : reason);
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            var granted = withCapabilities ? result.GetValue(capabilities) : null;
            var decision = new NodeDecision
            {
                Capabilities = granted is { Length: > 0 } ? granted : null,
                Reason = withCapabilities ? null : result.GetValue(reason),
            };
            var node = await rest.SendAsync<NodeView>(HttpMethod.Post, $"api/nodes/{Uri.EscapeDataString(result.GetValue(id)!)}/{name}", decision, cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json)
                ? JsonSerializer.Serialize(node, OrbitMeshJson.Options) + Environment.NewLine
                : $"Node {node.Id} is {node.Status}" + (node.Status == NodeStatus.Approved ? $" with {(node.GrantedCapabilities.Count == 0 ? "no capabilities" : string.Join(", ", node.GrantedCapabilities))}." : ".") + Environment.NewLine);
            return 0;
        });
        return command;
    }

    private static Command RemoveCommand()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var id = new Argument<string>("id") { Description = "The node's id." };
        var command = new Command("remove", "Forget a node (closing its connections); its id may then enroll again, with no grants until approved.") { id, server, apiKey };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var rest = new RestCall(result.GetValue(server)!, result.GetValue(apiKey));
            await rest.SendAsync(HttpMethod.Delete, "api/nodes/" + Uri.EscapeDataString(result.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Node {result.GetValue(id)} removed.");
            return 0;
        });
        return command;
    }
}
