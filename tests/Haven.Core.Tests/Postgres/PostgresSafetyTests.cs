using Haven.Core.Backup;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;
using Npgsql;

namespace Haven.Core.Tests.Postgres;

/// <summary>What an app does to its database while Haven works, and what a restore must bring back.</summary>
public sealed class PostgresSafetyTests
{
    /// <summary>A pg_dump that waits two seconds before it starts, so that the app acts first.</summary>
    private static TempFolder SlowPgDump()
    {
        var tools = new TempFolder();
        string real = PostgresBadInputTests.RealTool("pg_dump");
        PostgresBadInputTests.FakeTool(tools, "pg_dump",
            $"if [ \"$1\" = --version ]; then exec {real} --version; fi\nsleep 2\nexec {real} \"$@\"");
        return tools;
    }

    [PostgresFact]
    public void An_app_taking_an_exclusive_lock_as_pg_dump_starts_is_not_blocked_by_the_backup()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        using var tools = SlowPgDump();
        database.Execute("CREATE TABLE churn (id int); INSERT INTO churn VALUES (1)");

        // Between the snapshot and pg_dump's own locks, the app alters a table. Haven must hold no lock
        // then: if it did, the ALTER would wait for Haven, pg_dump behind the ALTER, and Haven for pg_dump.
        var manifest = PostgresBackup.Run(repository, new PostgresBackupOptions
        {
            Connection = database.Connection,
            ToolDirectory = tools.Path,
            DumpStarted = _ => database.Execute("SET lock_timeout = '20s'; ALTER TABLE churn ADD COLUMN extra int"),
        });

        Assert.Equal(1, manifest.Postgres!.Tables["\"public\".\"churn\""]);
    }

    [PostgresFact]
    public void A_table_truncated_before_pg_dump_locks_it_fails_the_backup_instead_of_recording_wrong_counts()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        using var tools = SlowPgDump();
        database.Execute("CREATE TABLE churn (id int); INSERT INTO churn SELECT generate_series(1, 100)");

        var error = Assert.Throws<HavenException>(() => PostgresBackup.Run(repository, new PostgresBackupOptions
        {
            Connection = database.Connection,
            ToolDirectory = tools.Path,
            DumpStarted = _ => database.Execute("SET lock_timeout = '20s'; TRUNCATE churn"),
        }));

        Assert.Contains("\"public\".\"churn\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated or rewritten", error.Message, StringComparison.Ordinal);
        Assert.Empty(repository.Snapshots());
    }

    [PostgresFact]
    public void A_short_idle_in_transaction_timeout_does_not_break_the_backup()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        PostgresBackupTests.CreateNotes(database, 20_000);
        database.Execute($"ALTER DATABASE {database.Name} SET idle_in_transaction_session_timeout = '200ms'");
        var slow = new PostgresBackupTests.Inline(_ => Thread.Sleep(300));

        var manifest = PostgresBackup.Run(
            repository,
            new PostgresBackupOptions { Connection = database.Connection },
            new BackupRequest { Progress = slow });

        Assert.Equal(20_000, manifest.Postgres!.Tables["\"public\".\"therapy_notes\""]);
    }

    [PostgresFact]
    public void A_replaced_database_keeps_its_privileges_settings_and_comment()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        string app = "haven_t_app_" + Guid.NewGuid().ToString("N")[..8];
        string outsider = "haven_t_outsider_" + Guid.NewGuid().ToString("N")[..8];
        PostgresServer.Execute("postgres", $"CREATE ROLE {app} LOGIN PASSWORD 'app-secret'; " +
            $"CREATE ROLE {outsider} LOGIN PASSWORD 'outsider-secret'");
        try
        {
            database.Execute(
                $"CREATE SCHEMA clinic; CREATE TABLE clinic.plans (id int); GRANT USAGE ON SCHEMA clinic TO {app}; " +
                $"GRANT SELECT ON clinic.plans TO {app}; " +
                $"REVOKE CONNECT, TEMPORARY ON DATABASE {database.Name} FROM PUBLIC; " +
                $"GRANT CONNECT ON DATABASE {database.Name} TO {app}; " +
                $"ALTER DATABASE {database.Name} SET search_path = clinic, public; " +
                $"ALTER ROLE {app} IN DATABASE {database.Name} SET work_mem = '8MB'; " +
                $"COMMENT ON DATABASE {database.Name} IS 'therapy plans (generated)'");
            var manifest = PostgresBackup.Run(
                repository,
                new PostgresBackupOptions { Connection = database.Connection });
            string target = database.Related("app");
            PostgresServer.Execute("postgres", $"CREATE DATABASE {target}");
            PostgresServer.Execute(target, "CREATE TABLE leftover (id int)");

            PostgresRestore.Run(repository, manifest, new PostgresRestoreOptions
            {
                Connection = PostgresServer.For(target),
                Replace = true,
            });

            Assert.Throws<PostgresException>(() =>
            {
                using var refused = new NpgsqlConnection(PostgresServer.For(target, outsider, "outsider-secret"));
                refused.Open();
            });
            using var allowed = new NpgsqlConnection(PostgresServer.For(target, app, "app-secret"));
            allowed.Open();
            using (var command = new NpgsqlCommand("SHOW search_path", allowed))
            {
                Assert.Equal("clinic, public", command.ExecuteScalar());
            }

            using (var command = new NpgsqlCommand("SHOW work_mem", allowed))
            {
                Assert.Equal("8MB", command.ExecuteScalar());
            }

            Assert.Equal("therapy plans (generated)", PostgresServer.Scalar<string>(
                "postgres",
                $"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{target}'"));
        }
        finally
        {
            database.Dispose();
            PostgresServer.Execute("postgres", $"DROP ROLE IF EXISTS {app}; DROP ROLE IF EXISTS {outsider}");
        }
    }

    [PostgresFact]
    public void A_target_without_a_database_name_or_a_maintenance_database_is_refused()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        database.Execute("CREATE TABLE t (id int)");
        var manifest = PostgresBackup.Run(repository, new PostgresBackupOptions { Connection = database.Connection });
        var admin = new NpgsqlConnectionStringBuilder(PostgresServer.Admin);

        var unnamed = Assert.Throws<UsageException>(() => PostgresRestore.Run(repository, manifest,
            new PostgresRestoreOptions
            {
                Connection = $"postgres://{admin.Username}:{admin.Password}@{admin.Host}:{admin.Port}",
            }));
        var maintenance = Assert.Throws<UsageException>(() => PostgresRestore.Run(repository, manifest,
            new PostgresRestoreOptions { Connection = PostgresServer.For("postgres"), Replace = true }));

        Assert.Contains("names no database", unnamed.Message, StringComparison.Ordinal);
        Assert.Contains("one of PostgreSQL's own databases", maintenance.Message, StringComparison.Ordinal);
        Assert.Equal(0L, PostgresServer.Scalar<long>("postgres", "SELECT count(*) FROM pg_class WHERE relname = 't'"));
    }
}
