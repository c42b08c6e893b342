using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Haven.Core.Restore;

/// <summary>
/// Asks Linux to start writing a file's dirty pages to disk now, without waiting for them. A
/// restore fsyncs its copy before putting it in place; by default the kernel would begin writing
/// only at that fsync (a machine with plenty of memory keeps gigabytes dirty), so the whole disk
/// write would come after all the processor work. Started early, the two overlap. This is only a
/// hint: durability still comes from the fsync, and where the call is missing nothing changes.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;

    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>Starts writeback of <paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
    public static void Start(SafeFileHandle handle, long offset, long length)
    {
        if (_unavailable)
        {
            return;
        }

        try
        {
            // Failures (an old kernel, a file system without support) only lose the overlap.
            _ = sync_file_range((int)handle.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);
}
