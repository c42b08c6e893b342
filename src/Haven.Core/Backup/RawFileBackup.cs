using System.Diagnostics;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Backup;

/// <summary>
/// Stores a single file's bytes as they are, in 4 KiB blocks. Used for what SQLite cannot read,
/// such as a damaged database about to be replaced by a restore: it is kept, not judged.
/// </summary>
internal static class RawFileBackup
{
    public const int BlockSize = 4096;

    private static void ReadFully(
        Microsoft.Win32.SafeHandles.SafeFileHandle handle,
        Span<byte> destination,
        long offset)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int read = RandomAccess.Read(handle, destination[done..], offset + done);
            if (read == 0)
            {
                throw new HavenException(
                    "The file changed size while it was being read; nothing was saved.",
                    "Run the restore again.");
            }

            done += read;
        }
    }

    public static Manifest RunLocked(LocalRepository repository, string filePath, BackupRequest request)
    {
        string path = Path.GetFullPath(filePath);
        return AuditedBackup.Run(repository, "file", path, request, head => Snapshot(repository, path, request, head));
    }

    private static Manifest Snapshot(LocalRepository repository, string path, BackupRequest request, AuditHead head)
    {
        var stopwatch = Stopwatch.StartNew();
        using var writer = new PackWriter(repository, repository.Cipher);
        var handle = Sources.Sqlite.SharedFileHandles.Open(path);
        DateTime time = repository.Time.GetUtcNow().UtcDateTime;
        long size = RandomAccess.GetLength(handle);
        var content = BlockStore.Store(
            repository,
            writer,
            BlockSize,
            size,
            (first, _, blocks) => ReadFully(handle, blocks, first * BlockSize),
            baseContent: null,
            request);
        return BlockStore.Commit(
            repository,
            writer,
            new SourceInfo("file", path, Path.GetFileName(path)),
            null,
            content,
            request,
            time,
            stopwatch,
            head,
            content.Blocks);
    }
}
