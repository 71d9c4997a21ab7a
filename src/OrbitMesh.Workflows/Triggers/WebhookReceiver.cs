using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Workflows;

/// <summary>
/// Checks and accepts webhook deliveries. A delivery carries <c>X-OrbitMesh-Timestamp</c> (Unix
/// seconds) and <c>X-OrbitMesh-Signature: sha256=HEX</c>, the HMAC-SHA256 of
/// <c>"{timestamp}.{body}"</c> under the trigger's secret. The timestamp must be within the replay
/// window of the server's clock, and a signature is accepted once: remembered here for the window,
/// and across servers by the run id derived from it (a second server's attempt finds the run).
/// </summary>
internal sealed class WebhookReceiver(TriggerRegistry registry, TriggerRunStarter starter, IWorkflowSecretProtector? protector, TimeProvider time)
{
    /// <summary>The most signatures remembered at once; beyond it the oldest are forgotten early (the derived run id still refuses their replays).</summary>
    private const int MaxRemembered = 100_000;

    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _expiry = new();

    public async Task<WebhookOutcome> AcceptAsync(string name, string? timestamp, string? signature, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (registry.Find(name) is not { Trigger.Kind: WorkflowTriggerKind.Webhook } entry || entry.Stored.ProtectedSecret is not { } sealedSecret)
        {
            return WebhookOutcome.Refused(WebhookStatus.NotFound, $"No webhook trigger is named '{name}'.");
        }

        var trigger = entry.Trigger;
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253_402_300_799)
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "The X-OrbitMesh-Timestamp header is missing or not Unix seconds.");
        }

        var window = TimeSpan.FromSeconds(trigger.ReplayWindowSeconds ?? WorkflowTriggerValidator.DefaultReplayWindowSeconds);
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var now = time.GetUtcNow();
        if ((now - sentAt).Duration() > window)
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, $"The timestamp is {(long)(now - sentAt).TotalSeconds} s from the server's clock; at most {(long)window.TotalSeconds} s are allowed (the replay window).");
        }

        if (signature is null || !signature.StartsWith("sha256=", StringComparison.Ordinal) || signature.Length != 7 + 64)
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "The X-OrbitMesh-Signature header is missing or not 'sha256=' and 64 hex digits.");
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature.AsSpan(7));
        }
        catch (FormatException)
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "The X-OrbitMesh-Signature header is not hex.");
        }

        string secret;
        try
        {
            secret = protector?.Unprotect(sealedSecret) ?? throw new CryptographicException("no secret protector");
        }
        catch (CryptographicException)
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "The trigger's secret cannot be read on this server (another key ring); rotate the secret.");
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Sign(secret, timestamp!, body.Span)))
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "The signature does not match the body and timestamp under this trigger's secret.");
        }

        if (!trigger.Enabled)
        {
            return WebhookOutcome.Refused(WebhookStatus.Disabled, $"The webhook trigger '{name}' is disabled.");
        }

        var key = $"{name}|{signature}";
        if (!Remember(key, sentAt + window, now))
        {
            return WebhookOutcome.Refused(WebhookStatus.Unauthorized, "This delivery was accepted before (a replay).");
        }

        JsonElement? payload = null;
        if (!body.IsEmpty)
        {
            try
            {
                using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = WorkflowDocument.MaxDepth });
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return WebhookOutcome.Refused(WebhookStatus.BadRequest, $"The body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
                }

                payload = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                return WebhookOutcome.Refused(WebhookStatus.BadRequest, $"The body is not JSON: {JsonSourceReader.FirstSentence(ex.Message)}");
            }
        }

        var meta = new JsonObject { ["sentAt"] = sentAt, ["depth"] = 0 };
        var runId = MeshIds.Derived("wfr", sentAt, $"hook|{name}|{signature}");
        var firing = await starter.StartAsync(trigger, runId, payload, meta, cancellationToken).ConfigureAwait(false);
        if (firing.Error is not null)
        {
            // Nothing started: the sender may deliver the same request again.
            lock (_seen)
            {
                _seen.Remove(key);
            }
        }

        return firing switch
        {
            { Error: { } error } => WebhookOutcome.Refused(WebhookStatus.Unprocessable, error),
            { Started: false } => WebhookOutcome.Refused(WebhookStatus.Unauthorized, "This delivery was accepted before, by this or another server (a replay)."),
            _ => new WebhookOutcome(WebhookStatus.Accepted, null, firing.RunId),
        };
    }

    /// <summary>The signature bytes of a delivery: HMAC-SHA256 of <c>"{timestamp}.{body}"</c>.</summary>
    public static byte[] Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }

    private bool Remember(string key, DateTimeOffset until, DateTimeOffset now)
    {
        lock (_seen)
        {
            while (_expiry.TryPeek(out var oldest, out var expires) && (expires < now || _seen.Count >= MaxRemembered))
            {
                _expiry.Dequeue();
                _seen.Remove(oldest);
            }

            if (_seen.ContainsKey(key))
            {
                return false;
            }

            _seen[key] = until;
            _expiry.Enqueue(key, until);
            return true;
        }
    }
}

/// <summary>How a webhook delivery ended.</summary>
public enum WebhookStatus
{
    /// <summary>Signed, fresh and new: the run was started (202).</summary>
    Accepted,

    /// <summary>No webhook trigger has the name (404).</summary>
    NotFound,

    /// <summary>A bad, stale or replayed signature (401, audited).</summary>
    Unauthorized,

    /// <summary>Signed, but the body is not a JSON object (400).</summary>
    BadRequest,

    /// <summary>The trigger is disabled (409).</summary>
    Disabled,

    /// <summary>The run could not be started: no such workflow, a missing parameter, too many runs (422).</summary>
    Unprocessable,
}

/// <summary>A webhook delivery's outcome: its status, why it was refused, or the run it started.</summary>
public sealed record WebhookOutcome(WebhookStatus Status, string? Reason, string? RunId)
{
    internal static WebhookOutcome Refused(WebhookStatus status, string reason) => new(status, reason, null);
}
