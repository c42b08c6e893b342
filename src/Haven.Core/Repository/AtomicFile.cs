using System.Runtime.InteropServices;

namespace Haven.Core.Repository;

/// <summary>
/// Durable writes: every file is written under a temporary name, fsynced, renamed into place, and
/// its directory fsynced, so that a crash leaves either the old state or the whole new file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Unix permission bits for files that may hold sensitive bytes (owner read/write).</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically, through a temporary
    /// file in <paramref name="tempDirectory"/> (same file system). Refuses to replace an existing
    /// file unless <paramref name="overwrite"/>.
    /// </summary>
    public static void Write(string path, ReadOnlySpan<byte> content, string tempDirectory, bool overwrite = false)
    {
        string temp = WriteTemp(content, tempDirectory, Path.GetFileName(path));
        try
        {
            Commit(temp, path, overwrite);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a new, fsynced temporary file in
    /// <paramref name="tempDirectory"/> and returns its path: the first half of <see cref="Write"/>,
    /// for a file to be put in place later with <see cref="Commit"/>.
    /// </summary>
    public static string WriteTemp(ReadOnlySpan<byte> content, string tempDirectory, string hint)
    {
        string temp = CreateTempPath(tempDirectory, hint);
        try
        {
            using var stream = OpenNew(temp);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        return temp;
    }

    /// <summary>Creates a new file that only its owner can read, failing if it exists.</summary>
    public static FileStream OpenNew(string path)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 1 << 16,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Renames a fully written and fsynced temporary file into place and, unless the caller will do
    /// it once for several files, fsyncs the directory.
    /// </summary>
    public static void Commit(string tempPath, string finalPath, bool overwrite = false, bool syncDirectory = true)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(finalPath))!;
        Directory.CreateDirectory(directory);
        if (!overwrite && File.Exists(finalPath))
        {
            throw new IOException($"'{finalPath}' already exists.");
        }

        File.Move(tempPath, finalPath, overwrite);
        if (syncDirectory)
        {
            SyncDirectory(directory);
        }
    }

    /// <summary>A unique temporary path in <paramref name="directory"/>, marked with this process id.</summary>
    public static string CreateTempPath(string directory, string hint)
    {
        Directory.CreateDirectory(directory);
        string name = $".{hint}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        return Path.Combine(directory, name);
    }

    /// <summary>Deletes a file, ignoring failures; for cleanup paths that must not mask the original error.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Flushes a directory's entries to disk so that a rename survives a power loss.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = NativeMethods.open(directory, NativeMethods.O_RDONLY | NativeMethods.O_DIRECTORY);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = NativeMethods.fsync(fd);
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static class NativeMethods
    {
        public const int O_RDONLY = 0;
        public const int O_DIRECTORY = 0x10000;

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
