using System.Diagnostics;
using System.Globalization;
using Haven.Core.Audit;
using Haven.Core.Backup;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Sqlite;
using Microsoft.Data.Sqlite;

namespace Haven.Core.Restore;

/// <summary>
/// Restores a SQLite snapshot so that nothing is ever lost: the image is rebuilt beside the target
/// under a temporary name and verified (every chunk, the whole-image digest, quick_check or on
/// request integrity_check, row counts); a database already at the target is snapshotted (trigger
/// pre-restore) and its log folded in or set aside; then the verified file is renamed over the
/// target in one step.
/// </summary>
public static class SqliteRestore
{
    private const string TempMarker = ".haven-restore-";

    /// <summary>
    /// Restores <paramref name="snapshot"/> to <paramref name="targetPath"/>, recording restore-started
    /// and restore-completed (or restore-failed) in the audit log.
    /// </summary>
    public static RestoreResult Run(
        LocalRepository repository,
        Manifest snapshot,
        string targetPath,
        RestoreRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        request ??= new RestoreRequest();
        if (snapshot.Postgres is not null)
        {
            throw new UsageException(
                $"Snapshot {snapshot.Id} is of the PostgreSQL database {snapshot.Source.Path}, not of a file.",
                "Restore it with --to-postgres CONNECTION.");
        }

        var details = new Dictionary<string, string>
        {
            ["snapshot"] = snapshot.Id,
            ["source"] = snapshot.Source.Path,
            ["target"] = Path.GetFullPath(targetPath)
        };
        return AuditedRestore.Run(
            repository,
            details,
            request.AllowDamagedAudit,
            () => Restore(repository, snapshot, targetPath, request),
            result => new Dictionary<string, string>
            {
                ["target"] = result.Target,
                ["preRestoreSnapshot"] = result.PreRestore?.Id ?? "",
                ["seconds"] = result.Seconds.ToString("F3", CultureInfo.InvariantCulture),
            });
    }

    private static RestoreResult Restore(
        LocalRepository repository,
        Manifest snapshot,
        string targetPath,
        RestoreRequest request)
    {
        var stopwatch = Stopwatch.StartNew();
        string target = FollowLinks(Path.GetFullPath(targetPath));
        string directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        if (Directory.Exists(target))
        {
            throw new UsageException(
                $"The restore target '{target}' is a folder.",
                "Give the path of the database file to create or replace.");
        }

        bool replacing = File.Exists(target);
        using var repositoryLock = replacing ? repository.Lock("restore to " + target) : null;
        if (replacing)
        {
            EnsureNotInUse(target, request.Force);
        }

        RemoveStaleTemporaryFiles(directory, Path.GetFileName(target));
        string temp = Path.Combine(
            directory,
            $".{Path.GetFileName(target)}{TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var checks = BuildAndVerify(repository, snapshot, temp, request);
            Manifest? preRestore = null;
            if (replacing)
            {
                EnsureNotInUse(target, request.Force);
                preRestore = SnapshotExisting(repository, target, snapshot);
                checks.Add($"pre-restore snapshot {preRestore.Id} of the replaced database");
            }

            if (replacing)
            {
                FileOwnership.Copy(target, temp);
            }

            Swap(temp, target);
            return new RestoreResult(snapshot, target, preRestore, checks, stopwatch.Elapsed.TotalSeconds);
        }
        finally
        {
            DeleteWithCompanions(temp);
        }
    }

    /// <summary>
    /// Writes the image to <paramref name="temp"/> (mode 0600) and verifies it completely. A snapshot
    /// of a plain file (such as a damaged database kept byte for byte before a restore) is verified
    /// by its digest only, since SQLite may not be able to read it.
    /// </summary>
    internal static List<string> BuildAndVerify(
        LocalRepository repository,
        Manifest snapshot,
        string temp,
        RestoreRequest request)
    {
        // The copy is verified before it is forced to disk: the checks read it from the page cache
        // while the kernel writes it out (started as it was produced), and the fsync that must
        // precede the swap then has little left to wait for.
        using var stream = AtomicFile.OpenNew(temp);
        SnapshotMaterializer.WriteTo(
            repository,
            snapshot,
            stream,
            request.Progress,
            request.CancellationToken,
            startWriteback: true);
        stream.Flush();
        var checks = new List<string>
        {
            $"every chunk authenticated and matching its id ({snapshot.Content.Blocks} blocks)",
            $"whole-content SHA-256 equals the manifest ({snapshot.Content.Sha256[..16]}...)",
        };
        if (snapshot.Sqlite is not null)
        {
            checks.AddRange(VerifyDatabase(temp, snapshot, request.FullIntegrityCheck));
        }
        else
        {
            checks.Add("a byte-for-byte copy of a file SQLite could not read: no database checks were possible");
        }

        stream.Flush(flushToDisk: true);
        return checks;
    }

    /// <summary>A restore over a symbolic link replaces the file it points to, which is what the app opens.</summary>
    private static string FollowLinks(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? path : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }

    /// <summary>
    /// Runs quick_check (or, when <paramref name="full"/>, integrity_check) and compares every
    /// table's row count with the manifest. The counts are taken on a second connection while the
    /// check runs, since each keeps one core busy; the check's failure is reported first.
    /// </summary>
    internal static List<string> VerifyDatabase(string path, Manifest snapshot, bool full)
    {
        var expected = snapshot.Sqlite!;
        string check = full ? "integrity_check" : "quick_check";
        try
        {
            var counting = Task.Factory.StartNew(
                () => CompareRowCounts(path, snapshot),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            string integrity;
            try
            {
                using var connection = SqliteSnapshotReader.OpenConnection(path);
                integrity = SqliteSnapshotReader.Scalar<string>(connection, $"PRAGMA {check}(1)");
            }
            finally
            {
                // Whatever the check found, the counting connection is closed before anything else.
                counting.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
            }

            if (integrity != "ok")
            {
                throw new IntegrityException(
                    $"The restored copy of snapshot {snapshot.Id} fails " +
                    $"{check} ({integrity}); nothing was replaced.");
            }

            counting.GetAwaiter().GetResult();
        }
        catch (SqliteException e)
        {
            throw new IntegrityException(
                $"The restored copy of snapshot {snapshot.Id} cannot be read by " +
                $"SQLite ({e.Message}); nothing was replaced.",
                inner: e);
        }

        return
        [
            $"PRAGMA {check}: ok",
            $"row counts of {expected.Tables.Count} tables equal the manifest ({expected.Tables.Values.Sum()} rows)",
        ];
    }

    private static void CompareRowCounts(string path, Manifest snapshot)
    {
        using var connection = SqliteSnapshotReader.OpenConnection(path);
        foreach (var (table, rows) in snapshot.Sqlite!.Tables)
        {
            long actual = SqliteSnapshotReader.CountRows(connection, table);
            if (actual != rows)
            {
                throw new IntegrityException(
                    string.Format(
                        CultureInfo.InvariantCulture,
                        "The restored copy of snapshot {0} has {1} rows in table '{2}', " +
                        "the manifest says {3}; nothing was replaced.",
                        snapshot.Id,
                        actual,
                        table,
                        rows));
            }
        }
    }

    private static void EnsureNotInUse(string target, bool force)
    {
        SqliteConnection.ClearAllPools();
        var users = OpenFileDetector.ProcessesUsing(target, target + "-wal", target + "-shm");
        if (users.Count > 0 && !force)
        {
            throw new BusyException(
                $"The database '{target}' is open in process {string.Join(", ", users)}; it was not touched.",
                "Stop the app that uses it, or pass --force to replace it anyway.");
        }
    }

    /// <summary>
    /// Snapshots the database about to be replaced. A database SQLite can read is snapshotted
    /// consistently (with its log); anything else is kept byte for byte.
    /// </summary>
    private static Manifest SnapshotExisting(LocalRepository repository, string target, Manifest restoring)
    {
        var request = new BackupRequest
        {
            Trigger = Triggers.PreRestore,
            Reason = $"before restoring snapshot {restoring.Id}",
            CheckSource = false,
        };
        try
        {
            return SqliteBackup.RunLocked(repository, target, request);
        }
        catch (HavenException e) when (e is not BusyException && e.ExitCode != ExitCodes.WrongKey)
        {
            string why = e.Message.Split('\n')[0];
            return RawFileBackup.RunLocked(
                repository,
                target,
                request with
                {
                    Reason = $"{request.Reason}; kept byte for byte because SQLite could not read it ({why})"
                });
        }
    }

    /// <summary>
    /// Replaces the target with the verified file. The old database's log is first checkpointed
    /// into it, and its -wal/-shm are set aside (never deleted before the rename succeeds), because a
    /// stale log beside a new database file would be replayed into it.
    /// </summary>
    private static void Swap(string temp, string target)
    {
        CheckpointQuietly(target);
        var asides = new List<(string Original, string Aside)>();
        try
        {
            foreach (string suffix in new[] { "-wal", "-shm", "-journal" })
            {
                string companion = target + suffix;
                if (File.Exists(companion))
                {
                    string aside = temp + suffix + ".replaced";
                    File.Move(companion, aside);
                    asides.Add((companion, aside));
                }
            }

            File.Move(temp, target, overwrite: true);
            AtomicFile.SyncDirectory(Path.GetDirectoryName(target)!);
        }
        catch
        {
            foreach (var (original, aside) in asides)
            {
                File.Move(aside, original, overwrite: true);
            }

            throw;
        }

        foreach (var (_, aside) in asides)
        {
            AtomicFile.TryDelete(aside);
        }
    }

    private static void CheckpointQuietly(string target)
    {
        if (!File.Exists(target + "-wal"))
        {
            return;
        }

        try
        {
            using var connection = SqliteSnapshotReader.OpenConnection(target);
            SqliteSnapshotReader.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
            // A damaged database cannot be checkpointed; its log is set aside and was snapshotted.
        }
    }

    private static void RemoveStaleTemporaryFiles(string directory, string name)
    {
        foreach (string path in Directory.EnumerateFiles(directory, $".{name}{TempMarker}*"))
        {
            string rest = Path.GetFileName(path)[($".{name}{TempMarker}".Length)..];
            if (int.TryParse(rest.Split('-')[0], CultureInfo.InvariantCulture, out int pid) && !IsRunning(pid))
            {
                AtomicFile.TryDelete(path);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void DeleteWithCompanions(string path)
    {
        foreach (string suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            AtomicFile.TryDelete(path + suffix);
        }
    }
}
