using Haven.Core.Backup;
using Haven.Core.Configuration;
using Haven.Core.Drill;
using Haven.Core.Tests.Support;
using Npgsql;

namespace Haven.Core.Tests.Postgres;

/// <summary>
/// What goes wrong in practice with PostgreSQL backups: each case ends with one clear message, the
/// right kind of failure, and no snapshot.
/// </summary>
public sealed class PostgresBadInputTests
{
    private static HavenException BackupFails(string connection, string? tools = null)
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        var error = Assert.ThrowsAny<HavenException>(() => PostgresBackup.Run(
            repository,
            new PostgresBackupOptions { Connection = connection, ToolDirectory = tools }));
        Assert.Empty(repository.Snapshots());
        return error;
    }

    [PostgresFact]
    public void A_wrong_password_is_a_usage_error_naming_the_role_and_server()
    {
        using var database = new PostgresDatabase();
        var builder = new NpgsqlConnectionStringBuilder(database.Connection) { Password = "not-the-password" };

        var error = BackupFails(builder.ConnectionString);

        Assert.IsType<UsageException>(error);
        Assert.Contains($"refused the login of role '{builder.Username}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_server_is_named_with_its_port()
    {
        var error = BackupFails("Host=127.0.0.1;Port=1;Username=app;Password=x;Database=clinic;Timeout=3");

        Assert.Equal(ExitCodes.Failed, error.ExitCode);
        Assert.StartsWith("Cannot reach PostgreSQL at 127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void A_missing_database_is_named()
    {
        var error = BackupFails(PostgresServer.For("haven_t_no_such_database"));

        Assert.IsType<UsageException>(error);
        Assert.Contains("'haven_t_no_such_database' does not exist", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void A_role_that_may_not_read_a_table_is_told_so_before_pg_dump_runs() =>
        RoleWithoutPrivilegeIsToldSo("CREATE TABLE secrets (id int)", "secrets");

    [PostgresFact]
    public void A_role_that_may_read_a_table_but_not_its_sequence_is_told_so_before_pg_dump_runs() =>
        RoleWithoutPrivilegeIsToldSo("CREATE TABLE notes (id serial); GRANT SELECT ON notes TO {role}", "notes_id_seq");

    /// <summary>A backup as a role lacking a privilege fails before pg_dump runs, in one sentence naming the object.</summary>
    private static void RoleWithoutPrivilegeIsToldSo(string schema, string unreadable)
    {
        using var database = new PostgresDatabase();
        string role = "haven_t_reader_" + Guid.NewGuid().ToString("N")[..8];
        database.Execute($"CREATE ROLE {role} LOGIN PASSWORD 'reader-secret'; {schema.Replace("{role}", role)};" +
            $"GRANT CONNECT ON DATABASE {database.Name} TO {role}");
        try
        {
            var error = BackupFails(PostgresServer.For(database.Name, role, "reader-secret"));

            Assert.IsType<UsageException>(error);
            Assert.Contains($"Role '{role}' lacks a privilege", error.Message, StringComparison.Ordinal);
            Assert.Contains(unreadable, error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("pg_dump", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            database.Dispose();
            PostgresServer.Execute("postgres", $"DROP ROLE IF EXISTS {role}");
        }
    }

    [PostgresFact]
    public void A_missing_pg_dump_is_named_with_the_folder_searched()
    {
        using var database = new PostgresDatabase();
        using var tools = new TempFolder();

        var error = BackupFails(database.Connection, tools.Path);

        Assert.IsType<UsageException>(error);
        Assert.Equal($"pg_dump was not found in '{tools.Path}' (from --pg-bin).", error.Message);
    }

    [PostgresFact]
    public void A_pg_dump_older_than_the_server_is_refused_naming_both_versions()
    {
        using var database = new PostgresDatabase();
        using var tools = new TempFolder();
        FakeTool(tools, "pg_dump", "echo 'pg_dump (PostgreSQL) 9.6.24'");
        string server = database.Scalar<string>("SHOW server_version").Split(' ')[0];

        var error = BackupFails(database.Connection, tools.Path);

        Assert.IsType<UsageException>(error);
        Assert.Contains("pg_dump 9.6.24", error.Message, StringComparison.Ordinal);
        Assert.Contains($"older than the PostgreSQL server ({server})", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void The_password_reaches_pg_dump_only_through_a_private_password_file_that_is_removed()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        database.Execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
        using var tools = new TempFolder();
        string real = RealTool("pg_dump");
        string seen = tools.File("seen");
        // A pg_dump that records what it was given, then runs the real one.
        FakeTool(tools, "pg_dump",
            $"if [ \"$1\" = --version ]; then exec {real} --version; fi\n" +
            $"{{ echo \"ARGS $*\"; env; echo \"MODE $(stat -c %a \"$PGPASSFILE\")\"; " +
            $"echo \"DIRMODE $(stat -c %a \"$(dirname \"$PGPASSFILE\")\")\"; }} > {seen}\n" +
            $"exec {real} \"$@\"");
        string password = new NpgsqlConnectionStringBuilder(database.Connection).Password!;
        Environment.SetEnvironmentVariable("HAVEN_PG_CONNECTION", database.Connection);
        try
        {
            PostgresBackup.Run(repository, new PostgresBackupOptions
            {
                Connection = database.Connection,
                ToolDirectory = tools.Path,
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("HAVEN_PG_CONNECTION", null);
        }

        string[] lines = File.ReadAllLines(seen);
        Assert.Contains(lines, l => l.StartsWith("ARGS --format=custom", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("HAVEN_PG_CONNECTION=", StringComparison.Ordinal));
        Assert.Contains("MODE 600", lines);
        Assert.Contains("DIRMODE 700", lines);
        string passfile = lines
            .Single(l => l.StartsWith("PGPASSFILE=", StringComparison.Ordinal))["PGPASSFILE=".Length..];
        Assert.False(File.Exists(passfile));
        Assert.False(Directory.Exists(Path.GetDirectoryName(passfile)));
    }

    [PostgresFact]
    public void A_drill_restores_into_a_scratch_database_verifies_it_and_drops_it()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        PostgresBackupTests.CreateNotes(database, 2_000);
        var manifest = PostgresBackup.Run(repository, new PostgresBackupOptions { Connection = database.Connection });

        var result = DrillRunner.Run(repository, manifest, new DrillSettings
        {
            Postgres = PostgresServer.For("postgres"),
            SmokeQueries =
            [
                new SmokeQuery
                {
                    Name = "every note has a patient",
                    Source = database.Name,
                    Sql = "SELECT count(*) FROM therapy_notes n LEFT JOIN patients p ON p.id = n.patient_id " +
                        "WHERE p.id IS NULL",
                    Expect = "0",
                },
                new SmokeQuery
                {
                    Name = "notes",
                    Source = database.Name,
                    Sql = "SELECT count(*) FROM therapy_notes",
                    Expect = "1999",
                },
            ],
        });

        Assert.False(result.Passed);
        Assert.Equal(["smoke query 'notes': returned '2000', expected '1999'"], result.Failures);
        Assert.Contains("smoke query 'every note has a patient': ok", result.Checks);
        Assert.Contains(result.Checks, c => c.StartsWith("row counts of 2 tables", StringComparison.Ordinal));
        string scratch = Assert.Single(result.Checks, c => c.StartsWith("scratch database", StringComparison.Ordinal));
        Assert.StartsWith($"scratch database 'haven_drill_{manifest.Id[..8]}_", scratch, StringComparison.Ordinal);
        Assert.Empty(PostgresServer.Column<string>(
            "postgres",
            $"SELECT datname FROM pg_database WHERE datname LIKE 'haven\\_drill\\_{manifest.Id[..8]}%'"));
    }

    [PostgresFact]
    public void A_drill_whose_pg_restore_is_missing_is_a_usage_error_not_a_failed_drill()
    {
        using var folder = new TempFolder();
        using var tools = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        PostgresBackupTests.CreateNotes(database, 100);
        var manifest = PostgresBackup.Run(repository, new PostgresBackupOptions { Connection = database.Connection });

        var error = Assert.Throws<UsageException>(() => DrillRunner.Run(repository, manifest, new DrillSettings
        {
            Postgres = PostgresServer.For("postgres"),
            PostgresTools = tools.Path,
        }));

        Assert.Contains("pg_restore was not found", error.Message, StringComparison.Ordinal);
        Assert.Empty(PostgresServer.Column<string>(
            "postgres",
            $"SELECT datname FROM pg_database WHERE datname LIKE 'haven\\_drill\\_{manifest.Id[..8]}%'"));
    }

    /// <summary>The newest pg_dump (or other tool) of the Debian layout.</summary>
    internal static string RealTool(string name) => Path.Combine(
        Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().First(), "bin", name);

    internal static void FakeTool(TempFolder folder, string name, string script)
    {
        string path = folder.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
