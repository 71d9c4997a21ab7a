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
        var milliseconds = (ulong)Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds());
        Span<byte> random = stackalloc byte[RandomChars];
        RandomNumberGenerator.Fill(random);
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
