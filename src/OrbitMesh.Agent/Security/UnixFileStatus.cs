using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrbitMesh.Agent.Security;

/// <summary>
/// A file's type and link count, which .NET does not expose: read with Linux's <c>statx</c>, whose
/// result layout is the same on every architecture (unlike <c>struct stat</c>). The file handlers use
/// it to refuse FIFOs, devices and sockets (reading a FIFO blocks forever) and files with more than
/// one hard link (a link inside an allowed directory may name a file outside it).
/// </summary>
/// <param name="IsRegular">True for a regular file.</param>
/// <param name="LinkCount">The number of hard links to the file.</param>
/// <param name="Kind">The kind of file, in words ("regular file", "FIFO", ...).</param>
public readonly record struct UnixFileStatus(bool IsRegular, uint LinkCount, string Kind)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxTypeModeNlink = 0x1 | 0x2 | 0x4;

    /// <summary>The status of <paramref name="path"/> itself (a symbolic link is not followed); null when it does not exist or statx is unavailable.</summary>
    public static UnixFileStatus? OfPath(string path) => Query(AtFdCwd, path, AtSymlinkNoFollow);

    /// <summary>The status of the file an open handle refers to (what was actually opened).</summary>
    public static UnixFileStatus? OfHandle(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Query((int)handle.DangerousGetHandle(), "", AtEmptyPath);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static UnixFileStatus? Query(int directory, string path, int flags)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        try
        {
            if (Statx(directory, path, flags, StatxTypeModeNlink, buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }

        // struct statx: stx_nlink at offset 16 (u32), stx_mode at offset 28 (u16).
        var links = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(16));
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        var kind = (mode & 0xF000) switch
        {
            0x8000 => "regular file",
            0x4000 => "directory",
            0xA000 => "symbolic link",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => "unknown kind of file",
        };
        return new UnixFileStatus((mode & 0xF000) == 0x8000, links, kind);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, string pathname, int flags, uint mask, [Out] byte[] statxbuf);
}
