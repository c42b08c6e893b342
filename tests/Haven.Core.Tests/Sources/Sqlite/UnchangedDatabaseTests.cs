using Haven.Core.Backup;
using Haven.Core.Restore;
using Haven.Core.Snapshots;
using Haven.Core.Tests.Support;
using Haven.Synthetic;
using Microsoft.Data.Sqlite;

namespace Haven.Core.Tests.Sources.Sqlite;

/// <summary>
/// A snapshot of a database proven unchanged since the previous one reads no page; any change,
/// by SQLite or not, makes the next backup read everything again.
/// </summary>
public class UnchangedDatabaseTests
{
    /// <summary>The database files in these tests were written moments before their first backup.</summary>
    private static readonly BackupRequest Now = new() { QuietBeforeObservation = TimeSpan.Zero };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_unchanged_database_is_snapshotted_without_reading_a_page_and_restores_identically(bool wal)
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1, wal);
        using var repository = Fixtures.NewRepository(folder);
        var first = SqliteBackup.Run(repository, database, Now);

        var second = SqliteBackup.Run(repository, database, Now);

        Assert.Equal(first.Content.Blocks, first.Stats.PagesRead);
        Assert.Equal(0, second.Stats.PagesRead);
        Assert.Equal(0, second.Stats.NewChunks);
        Assert.True(second.Stats.AddedBytes < 64 * 1024, $"added {second.Stats.AddedBytes} bytes");
        Assert.Equal(first.Content, second.Content);
        Assert.Equal(first.Sqlite!.Tables, second.Sqlite!.Tables);
        Assert.True(second.Sqlite.Evidence!.Checked);
        SqliteRestore.Run(repository, second, folder.File("restored.db"));
        Assert.Equal(Fixtures.Sha256(database), Fixtures.Sha256(folder.File("restored.db")));
    }

    [Fact]
    public void A_commit_that_is_only_in_the_write_ahead_log_is_seen()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        // A connection that has used the database keeps the log from being checkpointed into the
        // main file when the others close.
        using var keeper = new SqliteConnection($"Data Source={database};Pooling=False");
        keeper.Open();
        using (var touch = keeper.CreateCommand())
        {
            touch.CommandText = "SELECT count(*) FROM sqlite_master";
            touch.ExecuteScalar();
        }

        SqliteBackup.Run(repository, database, Now);
        var mainFileWritten = File.GetLastWriteTimeUtc(database);

        Fixtures.Execute(database, "CREATE TABLE later(x); INSERT INTO later VALUES (1);");
        var after = SqliteBackup.Run(repository, database, Now);

        Assert.Equal(mainFileWritten, File.GetLastWriteTimeUtc(database));
        Assert.Equal(after.Content.Blocks, after.Stats.PagesRead);
        Assert.Equal(1, after.Sqlite!.Tables["later"]);
    }

    [Fact]
    public void A_commit_in_rollback_journal_mode_is_seen()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1, wal: false);
        using var repository = Fixtures.NewRepository(folder);
        var first = SqliteBackup.Run(repository, database, Now);

        Fixtures.Execute(database, "UPDATE users SET full_name = 'Changed' WHERE rowid = 1;");
        var after = SqliteBackup.Run(repository, database, Now);

        Assert.Equal(after.Content.Blocks, after.Stats.PagesRead);
        Assert.NotEqual(first.Content.Sha256, after.Content.Sha256);
    }

    [Fact]
    public void A_file_written_by_something_other_than_SQLite_is_read_again_even_with_the_same_bytes()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1, wal: false);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database, Now);

        File.WriteAllBytes(database, File.ReadAllBytes(database));
        var after = SqliteBackup.Run(repository, database, Now);

        Assert.Equal(after.Content.Blocks, after.Stats.PagesRead);
    }

    [Fact]
    public void Only_a_snapshot_whose_content_was_checked_vouches_for_a_checked_backup()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database, Now with { CheckSource = false });

        var checkedBackup = SqliteBackup.Run(repository, database, Now);
        var next = SqliteBackup.Run(repository, database, Now);

        Assert.Equal(checkedBackup.Content.Blocks, checkedBackup.Stats.PagesRead);
        Assert.Equal(0, next.Stats.PagesRead);
    }

    [Fact]
    public void A_file_changed_shortly_before_the_previous_snapshot_observed_it_is_read_again()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        // Within the quiet period a later change could carry the same status time, so the
        // previous observation cannot vouch for anything.
        var cautious = new BackupRequest { QuietBeforeObservation = TimeSpan.FromDays(1) };
        SqliteBackup.Run(repository, database, cautious);

        var after = SqliteBackup.Run(repository, database, cautious);

        Assert.Equal(after.Content.Blocks, after.Stats.PagesRead);
    }

    [Theory]
    [InlineData(1_733_000_000_123_456_789L, 250)]
    [InlineData(1_733_000_000_000_000_001L, 250)]
    [InlineData(1_733_000_000_000_000_000L, 2000)]
    [InlineData(1_733_000_000_123_000_000L, 2000)]
    public void The_quiet_period_is_short_only_for_times_kept_below_the_millisecond(long changedNs, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), SqliteBackup.QuietPeriod(changedNs));
    }

    [Fact]
    public void A_backup_that_observed_the_file_after_its_quiet_period_vouches_for_the_next()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        // Longer than the quarter second of file systems with nanosecond times (this machine's
        // temporary folder), shorter than the 2 s of those with whole seconds.
        Thread.Sleep(TimeSpan.FromSeconds(0.4));
        var first = SqliteBackup.Run(repository, database);
        var evidence = first.Sqlite!.Evidence!;
        long quietNs = SqliteBackup.QuietPeriod(evidence.ChangedNs).Ticks * 100;
        long sinceChangeNs = ((evidence.ObservedAt - DateTime.UnixEpoch).Ticks * 100) - evidence.ChangedNs;

        var second = SqliteBackup.Run(repository, database);

        Assert.True(sinceChangeNs >= 400_000_000, $"observed {sinceChangeNs} ns after the change");
        Assert.Equal(sinceChangeNs > quietNs ? 0 : second.Content.Blocks, second.Stats.PagesRead);
    }

    [Fact]
    public void Backups_while_another_process_commits_never_reuse_stale_content()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        LedgerWriter.Prepare(database);
        using var repository = Fixtures.NewRepository(folder);
        var writer = ProcessRunner.StartWriter(database, seconds: 300);
        var taken = new List<Manifest>();
        try
        {
            for (int i = 0; i < 10; i++)
            {
                taken.Add(SqliteBackup.Run(repository, database, Now));
            }
        }
        finally
        {
            ProcessRunner.Stop(writer);
        }

        foreach (var manifest in taken)
        {
            string restored = folder.File($"restored-{manifest.Id}.db");
            SqliteRestore.Run(repository, manifest, restored);
            var ledger = LedgerWriter.Inspect(restored);
            Assert.True(ledger.Consistent, $"snapshot {manifest.Id}: ledger_a {ledger.A}, ledger_b {ledger.B}");
            Assert.Equal(manifest.Sqlite!.Tables["ledger_a"], ledger.A);
        }
    }
}
