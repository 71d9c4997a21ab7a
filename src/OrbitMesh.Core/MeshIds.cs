using System.Security.Cryptography;

namespace OrbitMesh;

/// <summary>
/// Generates ids for jobs and other entities: a prefix and 20 base-32 characters, of which the first 9
/// are the creation time in milliseconds (so ids sort roughly by creation, and stores that index them
/// append instead of writing all over their B-trees) and the other 11 are random (55 bits).
/// </summary>
public static class MeshIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private const int TimeChars = 9;
    private const int RandomChars = 11;

    /// <summary>A new job id such as <c>job_01jd8k2m4...</c>.</summary>
    public static string NewJobId() => New("job");

    /// <summary>A new id with the given prefix.</summary>
    public static string New(string prefix) => New(prefix, TimeProvider.System);

    /// <summary>A new id with the given prefix, stamped with <paramref name="time"/>'s clock.</summary>
    public static string New(string prefix, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(time);
        Span<byte> random = stackalloc byte[RandomChars];
        RandomNumberGenerator.Fill(random);
        return Compose(prefix, time.GetUtcNow(), random);
    }

    /// <summary>
    /// The id that <paramref name="seed"/> always gives: stamped with <paramref name="at"/>, its other
    /// characters taken from the seed's SHA-256. Two servers that derive an id for the same thing (a
    /// cron trigger's scheduled time, a webhook delivery) get the same id, so the store lets only one
    /// of them create it.
    /// </summary>
    public static string Derived(string prefix, DateTimeOffset at, string seed)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(seed);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed), digest);
        return Compose(prefix, at, digest[..RandomChars]);
    }

    private static string Compose(string prefix, DateTimeOffset stamp, ReadOnlySpan<byte> random)
    {
        var milliseconds = (ulong)Math.Max(0, stamp.ToUnixTimeMilliseconds());
        Span<char> id = stackalloc char[prefix.Length + 1 + TimeChars + RandomChars];
        prefix.AsSpan().CopyTo(id);
        id[prefix.Length] = '_';
        var at = prefix.Length + 1;
        for (var i = TimeChars - 1; i >= 0; i--)
        {
            id[at + i] = Alphabet[(int)(milliseconds & 31)];
            milliseconds >>= 5;
        }

        for (var i = 0; i < RandomChars; i++)
        {
            id[at + TimeChars + i] = Alphabet[random[i] & 31];
        }

        return new string(id);
    }
}
