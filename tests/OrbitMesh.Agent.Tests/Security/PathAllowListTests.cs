using OrbitMesh.Agent.Security;

namespace OrbitMesh.Agent.Tests.Security;

/// <summary>
/// The allow-list resolves paths as the operating system does: '..' and symbolic links cannot lead
/// out of an allowed directory, and a directory whose name merely starts like an allowed one is not inside it.
/// </summary>
public sealed class PathAllowListTests : IDisposable
{
    private readonly string _base = Directory.CreateTempSubdirectory("orbitmesh-allow-").FullName;

    public PathAllowListTests()
    {
        Directory.CreateDirectory(Allowed("sub"));
        File.WriteAllText(Allowed("sub", "inside.txt"), "in");
        Directory.CreateDirectory(Outside());
        File.WriteAllText(Outside("secret.txt"), "secret");
        Directory.CreateDirectory(Path.Combine(_base, "allowed-evil"));
        File.WriteAllText(Path.Combine(_base, "allowed-evil", "x.txt"), "x");
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    private string Allowed(params string[] parts) => Path.Combine([_base, "allowed", .. parts]);

    private string Outside(params string[] parts) => Path.Combine([_base, "outside", .. parts]);

    private PathAllowList List() => new([Allowed()]);

    [Fact]
    public void Authorize_APathInside_ReturnsItsRealPath()
    {
        Assert.Equal(Allowed("sub", "inside.txt"), List().Authorize(Allowed("sub", "inside.txt")));
        Assert.Equal(Allowed("sub", "inside.txt"), List().Authorize("sub/inside.txt"));
        Assert.Equal(Allowed("sub", "new", "file.txt"), List().Authorize(Allowed("sub", "new", "file.txt")));
        Assert.Equal(Allowed(), List().Authorize(Allowed()));
    }

    [Theory]
    [InlineData("../outside/secret.txt")]
    [InlineData("sub/../../outside/secret.txt")]
    [InlineData("sub/../../../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public void Authorize_DotDotOrAbsoluteEscapes_AreRefused(string path)
    {
        var error = Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(path));
        Assert.Equal(MeshErrorCodes.NotAllowed, error.Code);
    }

    [Fact]
    public void Authorize_OverLongPathsAndComponents_AreRefused()
    {
        var list = List();

        Assert.Throws<MeshParameterException>(() => list.Authorize(string.Join('/', Enumerable.Repeat("abcdefgh", 600))));
        Assert.Throws<MeshParameterException>(() => list.Authorize(new string('x', PathAllowList.MaxComponentLength + 1)));
        Assert.EndsWith(new string('x', PathAllowList.MaxComponentLength), list.Authorize(new string('x', PathAllowList.MaxComponentLength)), StringComparison.Ordinal);
    }

    [Fact]
    public void Authorize_ASiblingWithTheSamePrefix_IsRefused()
    {
        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Path.Combine(_base, "allowed-evil", "x.txt")));
        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize("../allowed-evil/x.txt"));
    }

    [Fact]
    public void Authorize_SymlinksLeadingOutside_AreRefused()
    {
        File.CreateSymbolicLink(Allowed("file-link"), Outside("secret.txt"));
        Directory.CreateSymbolicLink(Allowed("dir-link"), Outside());
        Directory.CreateSymbolicLink(Allowed("sub", "relative-link"), "../../outside");

        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("file-link")));
        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("dir-link", "secret.txt")));
        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("dir-link", "new.txt")));
        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("sub", "relative-link", "secret.txt")));
    }

    [Fact]
    public void Authorize_DotDotAfterASymlink_AppliesToWhereTheLinkLeads()
    {
        // outside/deeper exists; allowed/jump -> outside/deeper. Textually allowed/jump/.. is allowed,
        // but the kernel resolves it to outside: it must be refused.
        Directory.CreateDirectory(Outside("deeper"));
        Directory.CreateSymbolicLink(Allowed("jump"), Outside("deeper"));

        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("jump", "..", "secret.txt")));
        Assert.Equal(Outside("secret.txt"), PathAllowList.Resolve(Allowed("jump", "..", "secret.txt")));
    }

    [Fact]
    public void Authorize_SymlinksThatStayInside_AreFollowed()
    {
        Directory.CreateSymbolicLink(Allowed("alias"), Allowed("sub"));

        Assert.Equal(Allowed("sub", "inside.txt"), List().Authorize(Allowed("alias", "inside.txt")));
    }

    [Fact]
    public void Roots_ThatAreSymlinks_AreResolved()
    {
        Directory.CreateSymbolicLink(Path.Combine(_base, "root-link"), Allowed());
        var list = new PathAllowList([Path.Combine(_base, "root-link")]);

        Assert.Equal([Allowed()], list.Roots);
        Assert.Equal(Allowed("sub", "inside.txt"), list.Authorize(Path.Combine(_base, "root-link", "sub", "inside.txt")));
    }

    [Fact]
    public void Authorize_ALinkLoop_IsRefused()
    {
        File.CreateSymbolicLink(Allowed("loop-a"), Allowed("loop-b"));
        File.CreateSymbolicLink(Allowed("loop-b"), Allowed("loop-a"));

        Assert.Throws<MeshAccessDeniedException>(() => List().Authorize(Allowed("loop-a")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sub/\0/x")]
    public void Authorize_MissingOrNulPaths_AreInvalidParameters(string? path) =>
        Assert.Throws<MeshParameterException>(() => List().Authorize(path));

    [Fact]
    public void Create_WithAMissingDirectory_Fails_AndAnEmptyListAllowsNothing()
    {
        Assert.Throws<ArgumentException>(() => new PathAllowList([Path.Combine(_base, "missing")]));
        Assert.Throws<MeshAccessDeniedException>(() => new PathAllowList([]).Authorize("/tmp"));
    }
}
