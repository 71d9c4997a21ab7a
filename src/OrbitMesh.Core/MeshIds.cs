using System.Security.Cryptography;

namespace OrbitMesh;

/// <summary>
/// Generates ids for jobs and other entities: a prefix and 20 random base-32 characters (100 bits).
/// </summary>
public static class MeshIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>A new job id such as <c>job_8h2k...</c>.</summary>
    public static string NewJobId() => New("job");

    /// <summary>A new id with the given prefix.</summary>
    public static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[20];
        RandomNumberGenerator.Fill(random);
        return string.Create(prefix.Length + 1 + random.Length, (prefix, random.ToArray()), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            span[state.prefix.Length] = '_';
            for (var i = 0; i < state.Item2.Length; i++)
            {
                span[state.prefix.Length + 1 + i] = Alphabet[state.Item2[i] & 31];
            }
        });
    }
}
