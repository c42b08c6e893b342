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
        var previous = PreviousBackup(repository, path, head, out bool indexRebuilt);
        var unchanged = previous is not null && !indexRebuilt && source.Evidence is { } now
            && Vouches(previous, path, now, request) ? previous : null;
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
        // Leaves of the previous snapshot's page map, against which this one's may be stored as deltas.
        var baseContent = previous?.Content is { Blocks: > 0 } before && before.BlockSize == source.PageSize
            ? before
            : null;
        var content = StorePagesWhileReadingFacts(repository, writer, source, baseContent, request);
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
    /// The nearest completed backup of the same path before this one, found through the audit log by
    /// walking back from this backup's own start event; null if none is found (or anything on the way
    /// is damaged). <paramref name="indexRebuilt"/> tells whether the index was rebuilt since: chunks
    /// that snapshot needs may then have been left out with a damaged pack, so its content may be
    /// referred to only after reading (page-map deltas), never assumed (unchanged databases).
    /// </summary>
    private static Manifest? PreviousBackup(
        LocalRepository repository,
        string path,
        AuditHead head,
        out bool indexRebuilt)
    {
        const int MaxEventsBack = 1000;
        indexRebuilt = false;
        try
        {
            for (long seq = head.Seq - 1; seq >= 1 && seq >= head.Seq - MaxEventsBack; seq--)
            {
                var audited = repository.Audit.Read(seq).Event;
                indexRebuilt |= audited.Type == AuditEventTypes.IndexRebuilt;
                if (audited.Type == AuditEventTypes.BackupCompleted
                    && audited.Details.GetValueOrDefault("kind") == "sqlite"
                    && audited.Details.GetValueOrDefault("source") == path)
                {
                    return repository.ReadSnapshot(audited.Details.GetValueOrDefault("snapshot") ?? "");
                }
            }
        }
        catch (Exception e) when (e is IntegrityException or IOException)
        {
            return null;
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="previous"/> saw the same files in the same state as now (so that
    /// this backup may share its content without reading a page; docs/design.md, "Unchanged
    /// databases"), and its
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
        && UnixNanoseconds(before.ObservedAt) - before.ChangedNs
            > (request.QuietBeforeObservation ?? QuietPeriod(before.ChangedNs)).Ticks * 100;

    /// <summary>
    /// How long a file must have been left alone before an observation of it can vouch for it,
    /// given its status-change time in nanoseconds. A time with digits below the millisecond comes
    /// from a file system that keeps times to the nanosecond, taken from the kernel's clock tick (at
    /// most 10 ms): a quarter of a second is ample there, and lets the backup that follows a change
    /// vouch for the next. Anything else may come from a file system counting whole seconds (or two): 2 s.
    /// </summary>
    internal static TimeSpan QuietPeriod(long changedNs) =>
        changedNs % 1_000_000 != 0 ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(2);

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
        ContentInfo? baseContent,
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
                baseContent,
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
