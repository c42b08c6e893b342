using System.Text.Json;
using Haven.Cli.Tests.Support;
using Haven.Core.Tests.Support;
using Npgsql;

namespace Haven.Cli.Tests.Commands;

/// <summary>The PostgreSQL commands as an operator runs them: real haven processes, a real server.</summary>
public sealed class PostgresCommandTests
{
    private static string Url(string database, string? password = null)
    {
        var admin = new NpgsqlConnectionStringBuilder(PostgresServer.Admin);
        string secret = Uri.EscapeDataString(password ?? admin.Password!);
        return $"postgres://{admin.Username}:{secret}@{admin.Host}:{admin.Port}/{database}";
    }

    [PostgresFact]
    public void Backup_restore_replace_and_drill_from_the_command_line()
    {
        using var folder = new CliFolder(0.2).Init();
        using var database = new PostgresDatabase();
        database.Execute("CREATE TABLE moods (id int PRIMARY KEY, score int); " +
            "INSERT INTO moods SELECT g, g % 10 FROM generate_series(1, 5000) g");
        string password = new NpgsqlConnectionStringBuilder(PostgresServer.Admin).Password!;
        var haven = folder.Haven.With("HAVEN_PG_CONNECTION", Url(database.Name));

        var backup = haven.Run("backup", "postgres", "--reason", "nightly");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Matches("^[0-9a-f]{32}$", backup.LastLine);
        Assert.Contains("5000 rows in 1 table,", backup.Out, StringComparison.Ordinal);

        string target = Url(database.Related("copy"));
        var restored = haven.Run("restore", "latest", "--to-postgres", target);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Contains(
            "row counts of 1 tables equal the manifest (5000 rows)",
            restored.Out,
            StringComparison.Ordinal);

        var again = haven.Run("restore", "latest", "--to-postgres", target);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("is not empty; nothing was changed", again.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", again.Error, StringComparison.Ordinal);

        var replaced = haven.Run("restore", "latest", "--to-postgres", target, "--replace", "--json");
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        using var json = JsonDocument.Parse(replaced.Out);
        string kept = json.RootElement.GetProperty("preRestoreDatabase").GetString()!;
        Assert.Equal(5000, PostgresServer.Scalar<long>(kept, "SELECT count(*) FROM moods"));
        Assert.Equal(5000, PostgresServer.Scalar<long>(database.Related("copy"), "SELECT count(*) FROM moods"));

        var drill = haven.Run("drill");
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.StartsWith("PASSED drill", drill.Out, StringComparison.Ordinal);

        var listed = haven.Run("snapshots", "--json");
        Assert.Contains("\"kind\": \"postgres\"", listed.Out, StringComparison.Ordinal);
        foreach (var result in new[] { backup, restored, again, replaced, drill, listed })
        {
            Assert.DoesNotContain(password, result.Out + result.Error, StringComparison.Ordinal);
        }
    }

    [PostgresFact]
    public void A_wrong_password_exits_2_with_one_sentence_and_no_secret()
    {
        using var folder = new CliFolder(0.2).Init();
        using var database = new PostgresDatabase();

        var result = folder.Haven.Run(
            "backup", "postgres", "--connection", Url(database.Name, "Wr0ng-Secret"));

        Assert.Equal(2, result.ExitCode);
        string error = result.Error.Split('\n').First(l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.StartsWith("Error: PostgreSQL at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Wr0ng-Secret", result.Out + result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, folder.Haven.Run("snapshots", "--json").Out.Split("\"id\"").Length - 1);
    }

    [RootFact]
    public void A_full_disk_during_a_postgres_backup_exits_1_leaving_no_snapshot()
    {
        if (PostgresServer.Unavailable is not null && Environment.GetEnvironmentVariable("CI") is not { Length: > 0 })
        {
            return;
        }

        using var folder = new CliFolder(0.2);
        using var database = new PostgresDatabase();
        database.Execute("CREATE TABLE notes (id int, body text); " +
            "INSERT INTO notes SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 100000) g");
        var result = FullDisk.AssertBackupFailsCleanly(folder, "postgres", "--connection", Url(database.Name));
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }
}
