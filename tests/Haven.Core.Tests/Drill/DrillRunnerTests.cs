using Haven.Core.Audit;
using Haven.Core.Backup;
using Haven.Core.Configuration;
using Haven.Core.Drill;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Drill;

public class DrillRunnerTests
{
    private static readonly SmokeQuery EveryMoodLogHasAUser = new()
    {
        Name = "every mood log has a user",
        Sql = "SELECT count(*) FROM mood_logs WHERE user_id NOT IN (SELECT id FROM users)",
        Expect = "0",
    };

    [Fact]
    public void A_drill_of_a_good_snapshot_passes_records_its_recovery_time_and_leaves_no_copy()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 1);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database);
        var second = SqliteBackup.Run(repository, database);
        Directory.CreateDirectory(folder.File("scratch"));

        var result = DrillRunner.Run(
            repository,
            second,
            new DrillSettings { Scratch = folder.File("scratch"), SmokeQueries = [EveryMoodLogHasAUser] });

        Assert.True(result.Passed, string.Join("; ", result.Failures));
        Assert.True(result.RtoSeconds > 0);
        Assert.NotNull(result.RpoSeconds);
        Assert.Contains(
            result.Checks,
            c => c.StartsWith("smoke query 'every mood log has a user'", StringComparison.Ordinal));
        Assert.Contains(result.Checks, c => c.StartsWith("PRAGMA foreign_key_check", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.File("scratch")));
        var recorded = repository.Audit.Events().Last();
        Assert.Equal(AuditEventTypes.DrillCompleted, recorded.Type);
        Assert.Equal("true", recorded.Details["passed"]);
        Assert.Equal(
            result.RtoSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture),
            recorded.Details["rtoSeconds"]);
    }

    [Fact]
    public void A_failing_smoke_query_fails_the_drill_and_is_named()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.5);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);
        var impossible = EveryMoodLogHasAUser with { Name = "there are no users", Sql = "SELECT count(*) FROM users" };

        var result = DrillRunner.Run(repository, snapshot, new DrillSettings { SmokeQueries = [impossible] });

        Assert.False(result.Passed);
        var failure = Assert.Single(result.Failures);
        Assert.Contains("smoke query 'there are no users'", failure, StringComparison.Ordinal);
        Assert.Equal("false", repository.Audit.Events().Last().Details["passed"]);
    }

    [Fact]
    public void A_drill_of_a_snapshot_taken_from_a_corrupt_database_fails_on_integrity_check()
    {
        using var folder = new TempFolder();
        string database = Fixtures.CorruptDatabase(folder);
        using var repository = Fixtures.NewRepository(folder);
        Assert.Throws<IntegrityException>(() => SqliteBackup.Run(repository, database));
        var snapshot = SqliteBackup.Run(
            repository,
            database,
            new BackupRequest { CheckSource = false, Reason = "checks skipped" });

        var result = DrillRunner.Run(repository, snapshot, new DrillSettings());

        Assert.False(result.Passed);
        Assert.Contains(result.Failures, f => f.StartsWith("PRAGMA integrity_check", StringComparison.Ordinal));
    }

    [Fact]
    public void Rows_whose_parent_is_missing_fail_the_foreign_key_check_naming_the_table()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        Fixtures.Execute(
            database,
            "PRAGMA foreign_keys = OFF; INSERT INTO mood_logs (user_id, mood, " +
            "created_at) VALUES (999999, 5, '2026-01-01T00:00:00Z');");
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);

        var result = DrillRunner.Run(repository, snapshot, new DrillSettings());

        Assert.False(result.Passed);
        Assert.Contains(
            result.Failures,
            f => f.Contains("table 'mood_logs' has 1 rows whose parent is missing", StringComparison.Ordinal));
    }
}
