using OrbitMesh.Agent.Security;
using OrbitMesh.Protocol;

namespace OrbitMesh.Cli.Commands;

/// <summary>The CLI agent's first start as a node: create a key, ask to join, wait for approval; later starts just load it.</summary>
internal static class NodeEnrollment
{
    public static async Task<NodeIdentity> EnsureEnrolledAsync(
        HttpClient http, Uri server, string directory, string? enrollToken, string? requestedId, string? name,
        IReadOnlyList<string> capabilities, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        var client = new NodeEnrollmentClient(http, server);
        NodeIdentity identity;
        if (NodeIdentity.Exists(directory))
        {
            identity = NodeIdentity.Load(directory);
            if (requestedId is not null && requestedId != identity.NodeId)
            {
                identity.Dispose();
                throw new CliException($"--id '{requestedId}' differs from the node enrolled in {directory} ('{identity.NodeId}').");
            }

            if (identity.Certificate is not null)
            {
                return identity;
            }

            Console.WriteLine($"Node {identity.NodeId} is waiting for approval (key SHA-256 {identity.KeyFingerprint}).");
        }
        else
        {
            if (string.IsNullOrEmpty(enrollToken))
            {
                throw new CliException($"{directory} holds no node identity: pass --enroll-token T (from 'orbitmesh tokens create') to enroll.");
            }

            var nodeId = requestedId ?? Environment.MachineName.ToLowerInvariant();
            if (!RegistrationValidator.IsValidIdentifier(nodeId))
            {
                throw new CliException($"The node id '{nodeId}' is not valid.");
            }

            identity = NodeIdentity.Create(directory, nodeId);
            try
            {
                await client.RequestAsync(identity, enrollToken, name, capabilities, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Nothing was enrolled: leave the directory as it was, so the next start can try again.
                identity.Dispose();
                foreach (var file in new[] { "node.json", "node.key" })
                {
                    File.Delete(Path.Combine(directory, file));
                }

                throw;
            }

            Console.WriteLine($"Enrollment requested as node {identity.NodeId} (key SHA-256 {identity.KeyFingerprint}); waiting for an admin: orbitmesh nodes approve {identity.NodeId}");
        }

        try
        {
            var approved = await client.WaitForApprovalAsync(identity, pollInterval, cancellationToken: cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Node {identity.NodeId} approved with {(approved.Capabilities is { Count: > 0 } granted ? string.Join(", ", granted) : "no capabilities")}.");
            return identity;
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }
}
