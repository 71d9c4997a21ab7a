namespace OrbitMesh.Agent.Security;

/// <summary>
/// The directories an agent's file handlers may reach. A requested path is resolved the way the
/// operating system will resolve it (made absolute, then walked one component at a time, following
/// every symbolic link and applying <c>..</c> to the real directory reached so far, not to the text),
/// and allowed only when the result lies under one of the roots, themselves resolved the same way.
/// So neither <c>..</c> nor a symbolic link inside an allowed directory leads outside it (the check
/// SaltStack's CVE-2020-11652 showed a text-based prefix test does not make).
/// </summary>
/// <remarks>
/// The check and the later open are two steps: someone who can create links inside an allowed
/// directory between them can still race it. Give write access to allowed directories only to the agent.
/// </remarks>
public sealed class PathAllowList
{
    private const int MaxLinks = 40;

    /// <summary>The longest path <see cref="Authorize"/> accepts, in characters (Linux's PATH_MAX).</summary>
    public const int MaxPathLength = 4096;

    /// <summary>The longest path component <see cref="Authorize"/> accepts, in characters (Linux's NAME_MAX).</summary>
    public const int MaxComponentLength = 255;
    private readonly string[] _roots;

    /// <summary>Creates an allow-list. Every root must be an existing directory.</summary>
    public PathAllowList(IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var resolved = new List<string>();
        foreach (var root in roots)
        {
            if (string.IsNullOrWhiteSpace(root))
            {
                throw new ArgumentException("An allowed path must not be empty.", nameof(roots));
            }

            var real = Resolve(root);
            if (!Directory.Exists(real))
            {
                throw new ArgumentException($"The allowed path '{root}' is not an existing directory.", nameof(roots));
            }

            resolved.Add(Path.TrimEndingDirectorySeparator(real));
        }

        _roots = [.. resolved.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The allowed directories, resolved.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>True when nothing is allowed.</summary>
    public bool IsEmpty => _roots.Length == 0;

    /// <summary>
    /// Resolves <paramref name="path"/> (relative paths are taken relative to the first root) and
    /// returns the real path when it lies under an allowed root; otherwise throws <see cref="MeshAccessDeniedException"/>.
    /// </summary>
    public string Authorize(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new MeshParameterException("'path' is required and must not contain NUL characters.");
        }

        if (path.Length > MaxPathLength || Segments(path).Any(s => s.Length > MaxComponentLength))
        {
            throw new MeshParameterException($"The path is too long: at most {MaxPathLength} characters, {MaxComponentLength} per component.");
        }

        if (IsEmpty)
        {
            throw new MeshAccessDeniedException("This agent allows no paths (start it with --allow-path DIR).");
        }

        var real = Resolve(Path.IsPathRooted(path) ? path : Path.Combine(_roots[0], path));
        foreach (var root in _roots)
        {
            if (real == root || real.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || root == "/")
            {
                return real;
            }
        }

        throw new MeshAccessDeniedException($"'{path}' is outside the paths this agent allows.");
    }

    /// <summary>
    /// The real absolute path: components walked from the root, symbolic links followed (up to 40),
    /// <c>..</c> applied to the directory actually reached. Components that do not exist yet are kept as written.
    /// </summary>
    public static string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Not Path.GetFullPath: it would apply '..' to the text, before the links are known.
        var absolute = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        var pending = new Stack<string>(Segments(absolute).Reverse());
        var current = Path.GetPathRoot(absolute)!;
        var links = 0;
        while (pending.Count > 0)
        {
            var segment = pending.Pop();
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                current = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(current)) ?? current;
                continue;
            }

            var next = Path.Combine(current, segment);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    throw new MeshAccessDeniedException($"Too many symbolic links while resolving '{path}'.");
                }

                // Continue with the link's target in place of this component: absolute targets restart at the root.
                foreach (var part in Segments(target).Reverse())
                {
                    pending.Push(part);
                }

                if (Path.IsPathRooted(target))
                {
                    current = Path.GetPathRoot(target)!;
                }

                continue;
            }

            current = next;
        }

        return current;
    }

    private static string[] Segments(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.None);
}
