using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Failed logins counted per account and address, beside the per-address rate limit. Guessing one
/// account's password is bounded from every address (after
/// <see cref="SecurityOptions.LoginFailuresPerAccount"/> failures an address may not try that account
/// for the rest of the window), while the account's owner, logging in from an address that has not
/// failed, still gets in: an attacker cannot lock the real admin out. Across all addresses an account
/// takes at most <see cref="SecurityOptions.LoginFailuresPerAccountAllAddresses"/> failures per window;
/// beyond that, only addresses without a failure for it may still try.
/// </summary>
internal sealed class LoginThrottle(IOptions<OrbitMeshServerOptions> options, TimeProvider time)
{
    /// <summary>The window failures are counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>Entries kept at most (older windows are dropped first), so failed logins cannot fill memory.</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Counter> _failures = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="address"/> must wait before trying <paramref name="username"/> again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string username, string address)
    {
        var security = options.Value.Security;
        var now = time.GetUtcNow();
        var fromHere = Current(PairKey(username, address), now);
        if (fromHere is { } here && here.Count >= security.LoginFailuresPerAccount)
        {
            return here.Start + Window - now;
        }

        if (fromHere is { Count: > 0 } && Current(AccountKey(username), now) is { } all && all.Count >= security.LoginFailuresPerAccountAllAddresses)
        {
            return all.Start + Window - now;
        }

        return null;
    }

    /// <summary>Counts a failed login of <paramref name="username"/> from <paramref name="address"/>.</summary>
    public void RecordFailure(string username, string address)
    {
        var now = time.GetUtcNow();
        if (_failures.Count >= MaxEntries)
        {
            Prune(now);
        }

        foreach (var key in new[] { PairKey(username, address), AccountKey(username) })
        {
            _failures.AddOrUpdate(key, _ => new Counter(now, 1), (_, c) => now - c.Start >= Window ? new Counter(now, 1) : c with { Count = c.Count + 1 });
        }
    }

    /// <summary>A correct password from <paramref name="address"/> clears that address's failures for the account.</summary>
    public void RecordSuccess(string username, string address) => _failures.TryRemove(PairKey(username, address), out _);

    private Counter? Current(string key, DateTimeOffset now) =>
        _failures.TryGetValue(key, out var counter) && now - counter.Start < Window ? counter : null;

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, counter) in _failures)
        {
            if (now - counter.Start >= Window)
            {
                _failures.TryRemove(key, out _);
            }
        }

        if (_failures.Count >= MaxEntries)
        {
            // Still full within one window: forget the oldest half rather than grow.
            foreach (var key in _failures.OrderBy(p => p.Value.Start).Take(MaxEntries / 2).Select(p => p.Key).ToList())
            {
                _failures.TryRemove(key, out _);
            }
        }
    }

    // Usernames are compared as the store compares them (exactly); the separator cannot occur in an address.
    private static string PairKey(string username, string address) => address + "|" + username;

    private static string AccountKey(string username) => "*|" + username;

    private sealed record Counter(DateTimeOffset Start, int Count);
}
