using System.Diagnostics;
using System.Security.Cryptography;
using Haven.Core.Audit;
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
        using var source = SqliteSnapshotReader.OpenView(path);
        DateTime time = repository.Time.GetUtcNow().UtcDateTime;
        var sourceInfo = new SourceInfo("sqlite", path, Path.GetFileName(path));
        var unchanged = UnchangedSince(repository, path, source.Evidence, request, head);
        if (unchanged is not null)
        {
            // The same content as that snapshot, proven without reading it: share its page map,
            // digest and facts, and record this observation.
            source.EnsureStillConsistent();
            var evidence = source.Evidence! with { Checked = unchanged.Sqlite!.Evidence!.Checked };
            return BlockStore.Commit(
                repository,
                writer,
                sourceInfo,
                unchanged.Sqlite with { Evidence = evidence },
                unchanged.Content,
                request,
                time,
                stopwatch,
                head,
                pagesRead: 0);
        }

        source.ReadSize();
        var content = StorePagesWhileReadingFacts(repository, writer, source, request);
        source.EnsureStillConsistent();
        var sqlite = new SqliteInfo
        {
            PageSize = source.PageSize,
            PageCount = source.PageCount,
            JournalMode = source.JournalMode,
            UserVersion = source.UserVersion,
            SchemaHash = source.SchemaHash,
            Tables = source.Tables,
            Evidence = source.Evidence,
        };
        return BlockStore.Commit(
            repository,
            writer,
            sourceInfo,
            sqlite,
            content,
            request,
            time,
            stopwatch,
            head,
            content.Blocks);
    }

    /// <summary>
    /// The previous snapshot of this database, if the files observed now prove that its content is
    /// still exactly the database's (docs/design.md, "Unchanged databases"); else null. It is found
    /// through the audit log, walking back from this backup's own start event: the nearest
    /// completed backup of the same path. Anything unusual on the way (an index rebuilt since, a
    /// damaged event or manifest, another host) means null, and the database is read in full.
    /// </summary>
    private static Manifest? UnchangedSince(
        LocalRepository repository,
        string path,
        SourceEvidence? now,
        BackupRequest request,
        AuditHead head)
    {
        const int MaxEventsBack = 1000;
        if (now is null)
        {
            return null;
        }

        try
        {
            for (long seq = head.Seq - 1; seq >= 1 && seq >= head.Seq - MaxEventsBack; seq--)
            {
                var audited = repository.Audit.Read(seq).Event;
                if (audited.Type == AuditEventTypes.IndexRebuilt)
                {
                    // Chunks the previous snapshot needs may have been left out of the index with a damaged pack.
                    return null;
                }

                if (audited.Type != AuditEventTypes.BackupCompleted
                    || audited.Details.GetValueOrDefault("kind") != "sqlite"
                    || audited.Details.GetValueOrDefault("source") != path)
                {
                    continue;
                }

                var previous = repository.ReadSnapshot(audited.Details.GetValueOrDefault("snapshot") ?? "");
                return Vouches(previous, path, now, request) ? previous : null;
            }
        }
        catch (Exception e) when (e is IntegrityException or IOException)
        {
            return null;
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="previous"/> saw the same files in the same state as now, and its
    /// observation can be trusted: the main file had not changed for a while before it was made (so
    /// a later change cannot carry the same status time), it was made on this host (device and
    /// inode numbers mean nothing elsewhere), and its content was checked if this backup asks for it.
    /// </summary>
    private static bool Vouches(Manifest previous, string path, SourceEvidence now, BackupRequest request) =>
        previous.Source.Kind == "sqlite"
        && previous.Source.Path == path
        && previous.Host == Environment.MachineName
        && previous.Sqlite?.Evidence is { } before
        && before.SameFiles(now)
        && (before.Checked || !request.CheckSource)
        && UnixNanoseconds(before.ObservedAt) - before.ChangedNs > request.QuietBeforeObservation.Ticks * 100;

    private static long UnixNanoseconds(DateTime utc) => (utc - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>
    /// Stores the view's pages while another thread reads its facts (quick_check, schema, row
    /// counts) through SQLite's connection: both read the same consistent view, and quick_check
    /// costs about as much processor time as naming every page, so running them side by side uses
    /// both cores. A failed check stops the storing at its next batch and is what the caller sees.
    /// </summary>
    private static ContentInfo StorePagesWhileReadingFacts(
        LocalRepository repository,
        PackWriter writer,
        SqliteSnapshotReader source,
        BackupRequest request)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(request.CancellationToken);
        // A thread of its own: quick_check holds it for seconds, which would starve the pool that
        // compression and the naming of pages share.
        var facts = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    source.ReadFacts(request.CheckSource);
                }
                catch
                {
                    stop.Cancel();
                    throw;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        try
        {
            var content = BlockStore.Store(
                repository,
                writer,
                source.PageSize,
                source.PageCount * source.PageSize,
                (first, count, pages) => source.ReadPages(first + 1, count, pages),
                request with { CancellationToken = stop.Token });
            facts.GetAwaiter().GetResult();
            return content;
        }
        catch (OperationCanceledException) when (!request.CancellationToken.IsCancellationRequested)
        {
            // Only the check's failure (a corrupt database, say) cancels the storing: it is the cause.
            facts.GetAwaiter().GetResult();
            throw;
        }
        catch
        {
            // The connection must be idle before the view is closed: stop the check and wait for it.
            source.Interrupt();
            facts.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
            throw;
        }
    }
}
