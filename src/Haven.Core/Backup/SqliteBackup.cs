using System.Diagnostics;
using System.Security.Cryptography;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Sqlite;

namespace Haven.Core.Backup;

/// <summary>
/// Takes a snapshot of a live SQLite database: a consistent view read page by page, each page a
/// chunk named by its keyed hash, so that a later snapshot stores only pages that changed.
/// </summary>
public static class SqliteBackup
{
    /// <summary>Backs up <paramref name="databasePath"/> under the repository lock.</summary>
    public static Manifest Run(LocalRepository repository, string databasePath, BackupRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        using var repositoryLock = repository.Lock("backup " + Path.GetFileName(databasePath));
        return RunLocked(repository, databasePath, request ?? new BackupRequest());
    }

    /// <summary>Backs up while the caller already holds the repository lock.</summary>
    internal static Manifest RunLocked(LocalRepository repository, string databasePath, BackupRequest request)
    {
        string path = Path.GetFullPath(databasePath);
        return AuditedBackup.Run(
            repository,
            "sqlite",
            path,
            request,
            head => Snapshot(repository, path, request, head));
    }

    private static Manifest Snapshot(LocalRepository repository, string path, BackupRequest request, AuditHead head)
    {
        var stopwatch = Stopwatch.StartNew();
        using var writer = new PackWriter(repository, repository.Cipher);
        using var source = SqliteSnapshotReader.Open(path, request.CheckSource);
        DateTime time = repository.Time.GetUtcNow().UtcDateTime;
        var content = StorePages(repository, writer, source, request);
        source.EnsureStillConsistent();
        var sqlite = new SqliteInfo
        {
            PageSize = source.PageSize,
            PageCount = source.PageCount,
            JournalMode = source.JournalMode,
            UserVersion = source.UserVersion,
            SchemaHash = source.SchemaHash,
            Tables = source.Tables,
        };
        return BlockStore.Commit(
            repository,
            writer,
            new SourceInfo("sqlite", path, Path.GetFileName(path)),
            sqlite,
            content,
            request,
            time,
            stopwatch,
            head);
    }

    private static ContentInfo StorePages(
        LocalRepository repository,
        PackWriter writer,
        SqliteSnapshotReader source,
        BackupRequest request) =>
        BlockStore.Store(
            repository,
            writer,
            source.PageSize,
            source.PageCount * source.PageSize,
            (first, count, pages) => source.ReadPages(first + 1, count, pages),
            request);
}
