using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Haven.Core.Sources.Sqlite;

/// <summary>
/// Read handles on database files that are never closed while the file is still linked.
/// Closing any descriptor of a file releases every POSIX lock the whole process holds on it, and
/// SQLite's locks are POSIX locks: in an app that embeds Haven, closing a handle on its database,
/// log or WAL index would silently drop the app's own SQLite locks. A handle is reused while the
/// path still names the same file; a replaced file gets a new handle, and the old one is closed
/// only once no name links to its file any more.
/// </summary>
internal static partial class SharedFileHandles
{
    private static readonly ConcurrentDictionary<string, SafeFileHandle> Handles = new(StringComparer.Ordinal);
    private static readonly List<SafeFileHandle> Retired = [];

    /// <summary>A read handle on <paramref name="path"/>; the caller must not dispose it.</summary>
    public static SafeFileHandle Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Track(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        }

        lock (Retired)
        {
            if (Handles.TryGetValue(path, out var cached) && SameFile(path, cached))
            {
                return cached;
            }

            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (cached is not null)
            {
                Retired.Add(cached);
            }

            Handles[path] = handle;
            CloseUnlinked();
            return handle;
        }
    }

    /// <summary>The descriptor numbers of Haven's own handles, which never count as the file being "in use".</summary>
    public static HashSet<string> OwnDescriptors()
    {
        lock (Retired)
        {
            return
            [
                .. Handles.Values
                    .Concat(Retired)
                    .Where(h => !h.IsClosed)
                    .Select(h => h.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture))
            ];
        }
    }

    private static SafeFileHandle Track(SafeFileHandle handle)
    {
        lock (Retired)
        {
            Retired.Add(handle);
        }

        return handle;
    }

    private static bool SameFile(string path, SafeFileHandle handle)
    {
        var (byPathOk, byPath) = Stat(path, null);
        var (byHandleOk, byHandle) = Stat("", handle);
        return byPathOk && byHandleOk && byPath.Device == byHandle.Device && byPath.Inode == byHandle.Inode;
    }

    /// <summary>
    /// Closes retired handles whose file no name links to: no SQLite connection can hold a lock worth keeping there.
    /// </summary>
    private static void CloseUnlinked()
    {
        for (int i = Retired.Count - 1; i >= 0; i--)
        {
            var (ok, stat) = Stat("", Retired[i]);
            if (ok && stat.Links == 0)
            {
                Retired[i].Dispose();
                Retired.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// The identity, size and times of the file open at <paramref name="handle"/>, or null where
    /// they cannot be read (not Linux, or no statx).
    /// </summary>
    public static FileState? State(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        byte[]? buffer = StatBuffer("", handle);
        if (buffer is null)
        {
            return null;
        }

        // struct statx: stx_size at 40; stx_ctime at 96 and stx_mtime at 112 (64-bit seconds, then
        // 32-bit nanoseconds).
        static long Nanoseconds(byte[] b, int at) =>
            (BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(at)) * 1_000_000_000)
            + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
        var (device, inode, _) = Identity(buffer);
        return new FileState(
            device,
            inode,
            BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(40)),
            Nanoseconds(buffer, 112),
            Nanoseconds(buffer, 96));
    }

    private static (bool Ok, (ulong Device, ulong Inode, uint Links) Stat) Stat(string path, SafeFileHandle? handle)
    {
        byte[]? buffer = StatBuffer(path, handle);
        return buffer is null ? (false, default) : (true, Identity(buffer));
    }

    private static byte[]? StatBuffer(string path, SafeFileHandle? handle)
    {
        const int AtFdCwd = -100;
        const int AtEmptyPath = 0x1000;
        byte[] buffer = new byte[256];
        int fd = handle is null ? AtFdCwd : (int)handle.DangerousGetHandle();
        return statx(fd, path, handle is null ? 0 : AtEmptyPath, 0x7ff, buffer) == 0 ? buffer : null;
    }

    private static (ulong Device, ulong Inode, uint Links) Identity(byte[] buffer)
    {
        // struct statx: stx_nlink at 16, stx_ino at 32, stx_dev_major at 136, stx_dev_minor at 140.
        uint links = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(16));
        ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32));
        ulong device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(136)) << 32)
            | BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(140));
        return (device, inode, links);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);
}

/// <summary>A file as the file system describes it; times are nanoseconds since 1970 (UTC).</summary>
internal readonly record struct FileState(ulong Device, ulong Inode, long Size, long ModifiedNs, long ChangedNs);
