using System.Diagnostics;
using System.Globalization;
using System.Text;
using Haven.Core.Audit;
using Haven.Core.Backup;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;
using Haven.Synthetic;

namespace Haven.Core.Tests.Sources.Sqlite;

public class SqliteBackupTests
{
    [Theory]
    [InlineData(true, 50)]
    [InlineData(false, 10)]
    public void Backups_taken_while_another_process_commits_hold_exactly_a_committed_prefix(bool wal, int backups)
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 2, wal);
        LedgerWriter.Prepare(database);
        using var repository = Fixtures.NewRepository(folder);
        var writer = ProcessRunner.StartWriter(database, seconds: 300);
        var taken = new List<(Snapshots.Manifest Manifest, long Rows)>();
        try
        {
            for (int i = 0; i < backups; i++)
            {
                var manifest = SqliteBackup.Run(repository, database, new BackupRequest { Reason = $"under load {i}" });
                taken.Add((manifest, manifest.Sqlite!.Tables["ledger_a"]));
            }
        }
        finally
        {
            ProcessRunner.Stop(writer);
        }

        Assert.True(taken[^1].Rows > taken[0].Rows, "the writer made progress during the backups");
        foreach (var (manifest, rows) in taken)
        {
            string restored = folder.File($"restored-{manifest.Id}.db");
            SqliteRestore.Run(repository, manifest, restored);
            Assert.Equal("ok", Fixtures.IntegrityCheck(restored));
            var ledger = LedgerWriter.Inspect(restored);
            Assert.True(
                ledger.Consistent,
                $"snapshot {manifest.Id}: ledger_a {ledger.A} rows, ledger_b {ledger.B} rows");
            Assert.Equal(rows, ledger.A);
            Assert.Equal(manifest.Content.Sha256, Fixtures.Sha256(restored));
            File.Delete(restored);
        }
    }

    [Fact]
    public void One_percent_updates_of_64_MiB_add_under_30_percent_and_unchanged_adds_under_64_KiB()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 64);
        using var repository = Fixtures.NewRepository(folder);
        long empty = Fixtures.FolderBytes(repository.Root);

        SqliteBackup.Run(repository, database);
        long first = Fixtures.FolderBytes(repository.Root) - empty;

        var changed = ClinicalDatabaseGenerator.ApplyRandomUpdates(database, 0.01, seed: 2);
        Assert.True(changed.RowsUpdated > 0);
        long beforeSecond = Fixtures.FolderBytes(repository.Root);
        SqliteBackup.Run(repository, database);
        long second = Fixtures.FolderBytes(repository.Root) - beforeSecond;

        long beforeThird = Fixtures.FolderBytes(repository.Root);
        SqliteBackup.Run(repository, database);
        long third = Fixtures.FolderBytes(repository.Root) - beforeThird;

        Assert.True(first > 4 << 20, $"first snapshot stored {first} bytes");
        Assert.True(second <= first * 0.30, $"second snapshot added {second} bytes, first {first}");
        Assert.True(third < 64 * 1024, $"unchanged snapshot added {third} bytes");
    }

    [Fact]
    public void No_repository_file_holds_plaintext_rows_or_a_sqlite_header()
    {
        using var folder = new TempFolder();
        string[] markers = ["ZEBRA-MARKER-7731", "Patient-Marker-Quartz-0042"];
        string database = Fixtures.ClinicalDatabase(folder, 1, markers: markers);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database, new BackupRequest { Reason = "marker test" });

        byte[] plainDatabase = File.ReadAllBytes(database);
        Assert.True(
            plainDatabase.AsSpan().IndexOf(Encoding.UTF8.GetBytes(markers[0])) >= 0,
            "the fixture holds the marker");
        byte[][] needles =
        [
            .. markers.Select(Encoding.UTF8.GetBytes),
            "SQLite format 3"u8.ToArray(),
            "mood_logs"u8.ToArray(),
            "CREATE TABLE"u8.ToArray()
        ];
        foreach (string file in Directory.EnumerateFiles(repository.Root, "*", SearchOption.AllDirectories))
        {
            byte[] content = File.ReadAllBytes(file);
            foreach (byte[] needle in needles)
            {
                Assert.True(
                    content.AsSpan().IndexOf(needle) < 0,
                    $"{file} contains '{Encoding.UTF8.GetString(needle)}'");
            }
        }
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_and_nothing_is_stored()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("notes.txt"), "this is not a database, it is a text file of some length");
        using var repository = Fixtures.NewRepository(folder);
        var error = Assert.Throws<HavenException>(() => SqliteBackup.Run(repository, folder.File("notes.txt")));
        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Empty(repository.SnapshotIds());
    }

    [Fact]
    public void A_corrupt_database_is_refused_and_not_stored_as_good()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1, wal: false);
        CorruptBtreePages(database);
        using var repository = Fixtures.NewRepository(folder);
        var error = Assert.ThrowsAny<HavenException>(() => SqliteBackup.Run(repository, database));
        Assert.Equal(ExitCodes.Integrity, error.ExitCode);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Empty(repository.SnapshotIds());
    }

    [Fact]
    public void A_backup_stopped_after_it_wrote_packs_leaves_no_pack_and_no_snapshot()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 96);
        using var repository = Fixtures.NewRepository(folder);
        using var stop = new CancellationTokenSource();
        int packsWhenStopped = -1;
        var progress = new SynchronousProgress(p =>
        {
            if (packsWhenStopped < 0 && p.Done * 10 >= p.Total * 9)
            {
                packsWhenStopped = PackFiles(repository).Count();
                stop.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => SqliteBackup.Run(
            repository,
            database,
            new BackupRequest { Progress = progress, CancellationToken = stop.Token }));

        Assert.True(packsWhenStopped > 0, "the backup had completed a pack before it was stopped");
        Assert.Empty(PackFiles(repository));
        Assert.Empty(Directory.EnumerateFiles(repository.TempDirectory));
        Assert.Empty(repository.SnapshotIds());
        // The next backup stores everything again, and it restores.
        var manifest = SqliteBackup.Run(repository, database);
        SqliteRestore.Run(repository, manifest, folder.File("restored.db"));
        Assert.Equal(manifest.Content.Sha256, Fixtures.Sha256(folder.File("restored.db")));
    }

    [Fact]
    public void Packs_of_a_killed_backup_are_indexed_once_its_lock_is_broken_and_the_next_backup_reuses_them()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 16);
        int packs;
        using (var repository = Fixtures.NewRepository(folder))
        {
            SqliteBackup.Run(repository, database);
            packs = PackFiles(repository).Count();
            // What a backup killed before it committed its index files leaves: complete packs, and
            // its lock naming a process that is gone.
            foreach (string file in Directory.EnumerateFiles(repository.IndexDirectory))
            {
                File.Delete(file);
            }

            var manifests = Directory.EnumerateFiles(repository.SnapshotsDirectory, "*", SearchOption.AllDirectories);
            foreach (string file in manifests.ToList())
            {
                File.Delete(file);
            }

            using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
            finished.WaitForExit();
            File.WriteAllText(
                repository.LockPath,
                $"{{\"host\":\"{Environment.MachineName}\",\"pid\":{finished.Id}," +
                "\"since\":\"2026-01-01T00:00:00Z\",\"operation\":\"backup\"}");
        }

        using var reopened = Fixtures.Reopen(folder);
        var manifest = SqliteBackup.Run(reopened, database);

        Assert.True(packs > 0);
        Assert.Equal(0, manifest.Stats.NewChunks);
        Assert.Equal(packs, PackFiles(reopened).Count());
        Assert.Contains(
            reopened.Audit.Events(),
            e => e.Type == AuditEventTypes.LockBroken
                && e.Details["adoptedPacks"] == packs.ToString(CultureInfo.InvariantCulture));
        SqliteRestore.Run(reopened, manifest, folder.File("restored.db"));
        Assert.Equal(manifest.Content.Sha256, Fixtures.Sha256(folder.File("restored.db")));
    }

    [Fact]
    public void A_snapshot_saved_whose_completion_cannot_be_audited_is_reported_as_saved_and_restores()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        // The backup appends "started" and then "completed"; a folder where the completed event's
        // file must go makes that one append fail, after the manifest is written.
        string blocker = Path.Combine(repository.Root, "audit", AuditLog.FileName(repository.Audit.Head().Seq + 2));
        Directory.CreateDirectory(blocker);

        var error = Assert.Throws<HavenException>(() => SqliteBackup.Run(repository, database));

        string id = Assert.Single(repository.SnapshotIds());
        Assert.Contains(
            $"Snapshot {id} was saved, but the audit log could not record it",
            error.Message,
            StringComparison.Ordinal);
        // Once the audit log can be written again, the snapshot restores.
        Directory.Delete(blocker);
        SqliteRestore.Run(repository, repository.ReadSnapshot(id), folder.File("restored.db"));
        Assert.Equal(Fixtures.Sha256(database), Fixtures.Sha256(folder.File("restored.db")));
    }

    [Fact]
    public void A_failed_backup_whose_failure_cannot_be_audited_still_reports_its_own_error()
    {
        using var folder = new TempFolder();
        string database = Fixtures.CorruptDatabase(folder);
        using var repository = Fixtures.NewRepository(folder);
        long failedSeq = repository.Audit.Head().Seq + 2;
        Directory.CreateDirectory(Path.Combine(repository.Root, "audit", AuditLog.FileName(failedSeq)));

        var error = Assert.ThrowsAny<HavenException>(() => SqliteBackup.Run(repository, database));

        Assert.Equal(ExitCodes.Integrity, error.ExitCode);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Empty(repository.SnapshotIds());
    }

    private static IEnumerable<string> PackFiles(LocalRepository repository) =>
        Directory.EnumerateFiles(repository.DataDirectory, "*", SearchOption.AllDirectories);

    [Fact]
    public void Rows_committed_only_in_the_write_ahead_log_are_in_the_snapshot()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        holder.Open();
        using (var command = holder.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_autocheckpoint=0; CREATE TABLE late(x TEXT); " +
                "INSERT INTO late VALUES ('only in the log');";
            command.ExecuteNonQuery();
        }

        Assert.True(new FileInfo(database + "-wal").Length > 0);
        using var repository = Fixtures.NewRepository(folder);
        var manifest = SqliteBackup.Run(repository, database);
        Assert.Equal(1, manifest.Sqlite!.Tables["late"]);
        SqliteRestore.Run(repository, manifest, folder.File("restored.db"));
        Assert.Equal(manifest.Content.Sha256, Fixtures.Sha256(folder.File("restored.db")));
        Assert.Equal("ok", Fixtures.IntegrityCheck(folder.File("restored.db")));
    }

    [Fact]
    public async Task In_WAL_mode_writers_keep_committing_while_a_backup_runs()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 16);
        LedgerWriter.Prepare(database);
        using var repository = Fixtures.NewRepository(folder);
        long commits = 0;
        using var stop = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        var writer = new LedgerWriter { Committed = n => { Interlocked.Exchange(ref commits, n); started.Set(); } };
        var writing = Task.Run(() => writer.Run(database, stop.Token));
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));

        long atPageOne = -1;
        long atLastPage = -1;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Done <= 1024 && atPageOne < 0)
            {
                atPageOne = Interlocked.Read(ref commits);
            }

            if (p.Done == p.Total)
            {
                atLastPage = Interlocked.Read(ref commits);
            }
        });
        var manifest = SqliteBackup.Run(repository, database, new BackupRequest { Progress = progress });
        stop.Cancel();
        await writing;

        Assert.True(
            atPageOne >= 0 && atLastPage > atPageOne,
            $"commits at first progress {atPageOne}, at last page {atLastPage}");
        // The writer counts a commit just after COMMIT returns, so at most one commit (the one
        // whose count was not yet published when the first page was stored) may be in the
        // snapshot and not in atPageOne.
        Assert.True(
            manifest.Sqlite!.Tables["ledger_a"] <= atPageOne + 1,
            $"the snapshot holds only what was committed before it started ({manifest.Sqlite.Tables["ledger_a"]} " +
            $"rows, {atPageOne} commits counted at the first page)");
    }

    [Fact]
    public void A_backup_inside_the_app_process_keeps_the_apps_own_sqlite_locks()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.5, wal: false);
        using var repository = Fixtures.NewRepository(folder);
        using var app = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        app.Open();
        using var read = app.CreateCommand();
        read.CommandText = "BEGIN; SELECT count(*) FROM mood_logs;";
        read.ExecuteScalar();
        Assert.True(HoldsPosixLock(database), "the app's read transaction holds a SHARED lock");

        SqliteBackup.Run(repository, database);
        Assert.True(HoldsPosixLock(database), "a backup in the app's process must not release the app's SQLite locks");

        read.CommandText = "COMMIT;";
        read.ExecuteNonQuery();
    }

    /// <summary>Whether this process holds a POSIX lock on the file, as the kernel lists in /proc/locks.</summary>
    private static bool HoldsPosixLock(string path)
    {
        var info = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path])
        {
            RedirectStandardOutput = true
        };
        using var stat = System.Diagnostics.Process.Start(info)!;
        string inode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return File.ReadAllLines("/proc/locks").Any(line =>
            line.Contains(" POSIX ", StringComparison.Ordinal)
            && line.Contains($" {Environment.ProcessId} ", StringComparison.Ordinal)
            && line.Contains($":{inode} ", StringComparison.Ordinal));
    }

    private sealed class SynchronousProgress(Action<Progress> report) : IProgress<Progress>
    {
        public void Report(Progress value) => report(value);
    }

    /// <summary>Overwrites the middle of the file's b-tree pages with garbage, keeping the header intact.</summary>
    internal static void CorruptBtreePages(string database)
    {
        using var stream = new FileStream(database, FileMode.Open, FileAccess.ReadWrite);
        var random = new Random(5);
        byte[] garbage = new byte[4096 * 8];
        random.NextBytes(garbage);
        stream.Position = stream.Length / 2 / 4096 * 4096;
        stream.Write(garbage);
    }
}
