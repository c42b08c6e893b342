using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Haven.Core.Restore;

/// <summary>
/// Owner, group and permission bits of a file, so that a restored database gets those of the file
/// it replaces: an app running as its own user must still be able to open it.
/// </summary>
internal static partial class FileOwnership
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>Copies owner, group and mode from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static void Copy(string from, string to)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        byte[] buffer = new byte[256];
        if (statx(AtFdCwd, from, 0, StatxBasicStats, buffer) != 0)
        {
            throw new HavenException(
                $"Could not read the owner of '{from}' (errno {Marshal.GetLastPInvokeError()}); nothing was replaced.");
        }

        uint uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20));
        uint gid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24));
        if (chown(to, uid, gid) != 0)
        {
            throw new HavenException(
                $"Could not give the restored database the owner of '{from}' (uid " +
                $"{uid}, gid {gid}); nothing was replaced.",
                "Run the restore as that user or as root, so that the app can still open its database.");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);
}
