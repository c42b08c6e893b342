using Haven.Core.Backup;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Restore;

public class SqliteRestoreTests
{
    [Fact]
    public void Restore_over_a_database_keeps_a_pre_restore_snapshot_and_replaces_it_whole()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        var original = SqliteBackup.Run(repository, database);
        Fixtures.Execute(database, "CREATE TABLE added_later(x); INSERT INTO added_later VALUES (1), (2), (3);");
        string changedHash = Fixtures.Sha256(database);

        var result = SqliteRestore.Run(repository, original, database);

        Assert.Equal(original.Content.Sha256, Fixtures.Sha256(database));
        Assert.NotNull(result.PreRestore);
        Assert.Equal(Triggers.PreRestore, result.PreRestore!.Trigger);
        Assert.Equal(3, result.PreRestore.Sqlite!.Tables["added_later"]);
        Assert.False(File.Exists(database + "-wal") && new FileInfo(database + "-wal").Length > 0);

        SqliteRestore.Run(repository, result.PreRestore, folder.File("undo.db"));
        Assert.Equal(3, CountRows(folder.File("undo.db"), "added_later"));
        Assert.NotEqual(changedHash, original.Content.Sha256);
        Assert.Empty(Directory.EnumerateFiles(folder.Path, ".*haven-restore*"));
    }

    [Fact]
    public void Restore_over_a_database_open_in_another_process_is_refused_and_leaves_it_untouched()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);
        Fixtures.Execute(database, "CREATE TABLE newer(x); INSERT INTO newer VALUES (1);");
        var holder = ProcessRunner.StartWriter(database, seconds: 120, mode: "hold");
        try
        {
            string before = Fixtures.Sha256(database);
            var error = Assert.Throws<BusyException>(() => SqliteRestore.Run(repository, snapshot, database));
            Assert.Equal(ExitCodes.Busy, error.ExitCode);
            Assert.Contains("--force", error.Hint, StringComparison.Ordinal);
            Assert.Equal(before, Fixtures.Sha256(database));
            Assert.Single(repository.SnapshotIds());
        }
        finally
        {
            ProcessRunner.Stop(holder);
        }
    }

    [Fact]
    public void A_damaged_pack_is_refused_and_the_existing_target_is_left_exactly_as_it_was()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using (var repository = Fixtures.NewRepository(folder))
        {
            SqliteBackup.Run(repository, database);
        }

        string pack = Directory.EnumerateFiles(folder.File("repo/data"), "*", SearchOption.AllDirectories).First();
        byte[] bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 3] ^= 0x40;
        File.WriteAllBytes(pack, bytes);
        Fixtures.Execute(database, "CREATE TABLE precious(x); INSERT INTO precious VALUES ('must survive');");
        string before = Fixtures.Sha256(database);

        using var reopened = Fixtures.Reopen(folder);
        var snapshot = reopened.ResolveSnapshot("latest");
        var error = Assert.Throws<IntegrityException>(() => SqliteRestore.Run(reopened, snapshot, database));
        Assert.Contains("Pack", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Fixtures.Sha256(database));
        Assert.Empty(Directory.EnumerateFiles(folder.Path, ".*haven-restore*"));
    }

    [Theory]
    [InlineData(false, "quick_check")]
    [InlineData(true, "integrity_check")]
    public void A_snapshot_of_a_corrupt_database_is_refused_and_nothing_is_replaced(bool full, string check)
    {
        using var folder = new TempFolder();
        string database = Fixtures.CorruptDatabase(folder);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database, new BackupRequest { CheckSource = false });
        File.WriteAllText(folder.File("target.db"), "not replaced");

        var error = Assert.Throws<IntegrityException>(() => SqliteRestore.Run(
            repository,
            snapshot,
            folder.File("target.db"),
            new RestoreRequest { FullIntegrityCheck = full, Force = true }));

        Assert.Contains($"fails {check}", error.Message, StringComparison.Ordinal);
        Assert.Equal("not replaced", File.ReadAllText(folder.File("target.db")));
        Assert.Empty(Directory.EnumerateFiles(folder.Path, ".*haven-restore*"));
    }

    [Fact]
    public void A_restored_copy_whose_row_counts_differ_from_the_manifest_is_refused_naming_the_table()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);
        SqliteRestore.Run(repository, snapshot, folder.File("restored.db"));
        var tables = new Dictionary<string, long>(snapshot.Sqlite!.Tables);
        string table = tables.Keys.Order(StringComparer.Ordinal).Last();
        tables[table] += 1;
        var claimingMore = snapshot with { Sqlite = snapshot.Sqlite with { Tables = tables } };

        var passed = SqliteRestore.VerifyDatabase(folder.File("restored.db"), snapshot, full: false);
        var error = Assert.Throws<IntegrityException>(
            () => SqliteRestore.VerifyDatabase(folder.File("restored.db"), claimingMore, full: false));

        Assert.Contains("PRAGMA quick_check: ok", passed);
        Assert.Contains(
            $"rows in table '{table}', the manifest says {tables[table]}",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_ids_resolve_by_unique_prefix_or_latest_and_refuse_unknown_or_short_ones()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.5);
        using var repository = Fixtures.NewRepository(folder);
        var first = SqliteBackup.Run(repository, database);
        var second = SqliteBackup.Run(repository, database);

        Assert.Equal(first.Id, repository.ResolveSnapshot(first.Id[..8]).Id);
        Assert.Equal(second.Id, repository.ResolveSnapshot("latest").Id);
        Assert.Throws<UsageException>(() => repository.ResolveSnapshot("0000000000000000"));
        Assert.Throws<UsageException>(() => repository.ResolveSnapshot(first.Id[..4]));

        string copy = Path.Combine(repository.Root, "snapshots", first.Id[..10] + "ffffffffffffffffffffff");
        File.Copy(Path.Combine(repository.Root, "snapshots", first.Id), copy);
        var ambiguous = Assert.Throws<UsageException>(() => repository.ResolveSnapshot(first.Id[..10]));
        Assert.Contains("ambiguous", ambiguous.Message, StringComparison.Ordinal);
    }

    private static long CountRows(string database, string table)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }
}
