using System.Diagnostics;
using Haven.Core.Backup;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Snapshots;
using Haven.Core.Tests.Support;
using Npgsql;

namespace Haven.Core.Tests.Postgres;

/// <summary>PostgreSQL backups and restores against a real server, with pg_dump and pg_restore.</summary>
public sealed class PostgresBackupTests
{
    /// <summary>Generated therapy notes: about 400 bytes per row, hex text that compresses about 2:1.</summary>
    internal static void CreateNotes(PostgresDatabase database, int rows)
    {
        database.Execute(
            "CREATE TABLE patients (id int PRIMARY KEY, pseudonym text NOT NULL, born date NOT NULL);" +
            "INSERT INTO patients SELECT g, 'P-' || lpad(g::text, 6, '0'), date '1950-01-01' + (g % 20000) " +
            "FROM generate_series(1, 2000) g;" +
            "CREATE TABLE therapy_notes (id bigint PRIMARY KEY, patient_id int NOT NULL REFERENCES patients, " +
            "written_at timestamptz NOT NULL, body text NOT NULL);" +
            "INSERT INTO therapy_notes SELECT g, 1 + g % 2000, timestamptz '2024-01-01' + g * interval '37 seconds', " +
            "concat_ws(' ', md5(g::text), md5((g + 1)::text), md5((g * 3)::text), md5((g * 7)::text), " +
            "md5((g * 11)::text), md5((g * 13)::text), md5((g * 17)::text), md5((g * 19)::text), " +
            "md5((g * 23)::text), md5((g * 29)::text)) " +
            $"FROM generate_series(1, {rows}) g;");
    }

    private static Manifest Backup(LocalRepository repository, string connection, BackupRequest? request = null,
        bool globals = false) =>
        PostgresBackup.Run(
            repository,
            new PostgresBackupOptions { Connection = connection, Globals = globals },
            request);

    [PostgresFact]
    public void A_backup_taken_while_a_writer_commits_restores_the_counted_rows_and_a_committed_prefix()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        CreateNotes(database, 60_000);
        database.Execute("CREATE TABLE ledger (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");

        long committed = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            using var connection = new NpgsqlConnection(database.Connection);
            connection.Open();
            using var insert = new NpgsqlCommand("INSERT INTO ledger (seq) VALUES (@seq)", connection);
            var seq = insert.Parameters.Add("seq", NpgsqlTypes.NpgsqlDbType.Bigint);
            for (long n = 1; !stop.IsCancellationRequested; n++)
            {
                seq.Value = n;
                insert.ExecuteNonQuery();
                Interlocked.Exchange(ref committed, n);
            }
        });
        SpinWait.SpinUntil(() => Interlocked.Read(ref committed) >= 20 || writer.IsCompleted, 30_000);
        long duringBackup = -1;
        var progress = new Inline(_ =>
        {
            // Once pg_dump runs on the exported snapshot, let the writer commit more before going on.
            if (duringBackup < 0)
            {
                duringBackup = Interlocked.Read(ref committed);
                SpinWait.SpinUntil(
                    () => Interlocked.Read(ref committed) >= duringBackup + 50 || writer.IsCompleted,
                    30_000);
            }
        });
        var manifest = Backup(repository, database.Connection, new BackupRequest { Progress = progress });
        stop.Cancel();
        writer.Wait();
        long total = Interlocked.Read(ref committed);

        string restored = database.Related("copy");
        var result = PostgresRestore.Run(repository, manifest, new PostgresRestoreOptions
        {
            Connection = PostgresServer.For(restored),
        });

        long inSnapshot = manifest.Postgres!.Tables["\"public\".\"ledger\""];
        Assert.Equal(inSnapshot, PostgresServer.Scalar<long>(restored, "SELECT count(*) FROM ledger"));
        Assert.Equal(inSnapshot, PostgresServer.Scalar<long>(restored, "SELECT coalesce(max(seq), 0) FROM ledger"));
        Assert.True(inSnapshot >= 20, $"the snapshot holds {inSnapshot} ledger rows, fewer than committed before it");
        Assert.True(
            inSnapshot <= duringBackup,
            $"{inSnapshot} rows, but only {duringBackup} were committed when it began");
        Assert.True(total >= duringBackup + 50, "the writer kept committing during the backup");
        Assert.Equal(60_000, PostgresServer.Scalar<long>(restored, "SELECT count(*) FROM therapy_notes"));
        foreach (var (table, rows) in manifest.Postgres.Tables)
        {
            Assert.Equal(rows, PostgresServer.Scalar<long>(restored, $"SELECT count(*) FROM {table}"));
        }

        Assert.Null(result.PreRestoreDatabase);
        Assert.Contains(result.Checks, c => c.StartsWith("row counts of 3 tables", StringComparison.Ordinal));
    }

    [PostgresFact]
    public void Two_hundred_large_objects_round_trip_with_equal_digests()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        // Sizes from empty to about 300 KiB, random content.
        database.Execute(
            "SELECT lo_from_bytea(0, coalesce((SELECT string_agg(decode(md5(g::text || '-' || i), 'hex'), ''::bytea) " +
            "FROM generate_series(1, (g * 97) % 19000) i), ''::bytea)) FROM generate_series(1, 200) g");
        const string Digests =
            "SELECT string_agg(oid::text || ':' || encode(sha256(lo_get(oid)), 'hex'), ',' ORDER BY oid) " +
            "FROM pg_largeobject_metadata";
        string before = database.Scalar<string>(Digests);

        var manifest = Backup(repository, database.Connection);
        string restored = database.Related("copy");
        RestoreTo(repository, manifest, restored);

        Assert.Equal(200, manifest.Postgres!.LargeObjects);
        Assert.Equal(200, PostgresServer.Scalar<long>(restored, "SELECT count(*) FROM pg_largeobject_metadata"));
        Assert.Equal(before, PostgresServer.Scalar<string>(restored, Digests));
    }

    [PostgresFact]
    public void A_latin1_database_with_high_byte_text_round_trips_byte_for_byte()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase("ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        // Every printable LATIN1 byte, including 0xA0-0xFF (accents, currency, symbols), in several rows.
        database.Execute(
            "CREATE TABLE journal (id int PRIMARY KEY, entry text NOT NULL);" +
            "INSERT INTO journal SELECT r, convert_from((SELECT string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea " +
            "ORDER BY (b * r) % 223) FROM generate_series(32, 126) b) || (SELECT string_agg(set_byte('\\x00'::bytea, " +
            "0, b), ''::bytea) FROM generate_series(160, 255) b), 'LATIN1') FROM generate_series(1, 50) r");
        const string Bytes =
            "SELECT encode(sha256(string_agg(convert_to(entry, 'LATIN1'), ''::bytea ORDER BY id)), 'hex') FROM journal";
        string before = database.Scalar<string>(Bytes);
        Assert.Contains((byte)0xE9, Convert.FromHexString(
            database.Scalar<string>("SELECT encode(convert_to(entry, 'LATIN1'), 'hex') FROM journal WHERE id = 1")));

        var manifest = Backup(repository, database.Connection);
        string restored = database.Related("copy");
        RestoreTo(repository, manifest, restored);

        Assert.Equal("LATIN1", manifest.Postgres!.Encoding);
        Assert.Equal("LATIN1", PostgresServer.Scalar<string>(
            "postgres",
            $"SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '{restored}'"));
        Assert.Equal(before, PostgresServer.Scalar<string>(restored, Bytes));
    }

    [PostgresFact]
    public void Restoring_twice_is_refused_without_replace_and_with_replace_keeps_the_old_database()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        CreateNotes(database, 3_000);
        var manifest = Backup(repository, database.Connection);
        string target = database.Related("app");
        var options = new PostgresRestoreOptions { Connection = PostgresServer.For(target) };
        PostgresRestore.Run(repository, manifest, options);
        PostgresServer.Execute(
            target,
            "INSERT INTO patients VALUES (999999, 'written after the restore', '2000-01-01')");

        var refused = Assert.Throws<UsageException>(() => PostgresRestore.Run(repository, manifest, options));
        Assert.Contains("not empty", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2001, PostgresServer.Scalar<long>(target, "SELECT count(*) FROM patients"));

        // An app still connected to the database keeps it from being swapped: refused, nothing changed.
        using (var app = new NpgsqlConnection(PostgresServer.For(target)))
        {
            app.Open();
            Assert.Throws<BusyException>(
                () => PostgresRestore.Run(repository, manifest, options with { Replace = true }));
        }

        Assert.Equal(2001, PostgresServer.Scalar<long>(target, "SELECT count(*) FROM patients"));
        var replaced = PostgresRestore.Run(repository, manifest, options with { Replace = true });

        Assert.Equal(2000, PostgresServer.Scalar<long>(target, "SELECT count(*) FROM patients"));
        Assert.Equal(3000, PostgresServer.Scalar<long>(target, "SELECT count(*) FROM therapy_notes"));
        Assert.NotNull(replaced.PreRestoreDatabase);
        Assert.StartsWith(target + "_pre_restore_", replaced.PreRestoreDatabase, StringComparison.Ordinal);
        Assert.Equal(2001, PostgresServer.Scalar<long>(replaced.PreRestoreDatabase!, "SELECT count(*) FROM patients"));
        // No side database is left behind.
        Assert.Empty(PostgresServer.Column<string>(
            "postgres",
            $"SELECT datname FROM pg_database WHERE datname LIKE '{target}%haven_restore%'"));
    }

    [PostgresFact]
    public void A_pg_dump_killed_midway_leaves_no_snapshot()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        CreateNotes(database, 40_000);
        int pid = 0;
        var kill = new Inline(_ =>
        {
            if (pid != 0)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                pid = 0;
            }
        });

        var error = Assert.Throws<HavenException>(() => PostgresBackup.Run(
            repository,
            new PostgresBackupOptions { Connection = database.Connection, DumpStarted = id => pid = id },
            new BackupRequest { Progress = kill }));

        Assert.Contains("pg_dump was killed", error.Message, StringComparison.Ordinal);
        Assert.Contains("no snapshot was recorded", error.Message, StringComparison.Ordinal);
        Assert.Empty(repository.Snapshots());
        // The repository is fine: the next backup works and restores.
        var manifest = Backup(repository, database.Connection);
        RestoreTo(repository, manifest, database.Related("copy"));
        Assert.Equal(
            40_000,
            PostgresServer.Scalar<long>(database.Related("copy"), "SELECT count(*) FROM therapy_notes"));
    }

    [PostgresFact]
    public void After_one_percent_of_rows_change_a_second_snapshot_of_a_100_MiB_database_adds_under_a_fifth()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var database = new PostgresDatabase();
        CreateNotes(database, 300_000);
        long size = database.Scalar<long>("SELECT pg_database_size(current_database())");
        Assert.True(size >= 100L << 20, $"the database is only {size >> 20} MiB");
        var first = Backup(repository, database.Connection);

        database.Execute(
            "SELECT setseed(0.42); UPDATE therapy_notes SET body = body || ' (amended)', written_at = now() " +
            "WHERE id IN (SELECT id FROM therapy_notes ORDER BY random() LIMIT 3000)");
        var second = Backup(repository, database.Connection);

        double ratio = (double)second.Stats.AddedBytes / first.Stats.AddedBytes;
        Assert.True(
            ratio < 0.20,
            $"the second snapshot added {second.Stats.AddedBytes} bytes, {ratio:P1} of the first's " +
            $"{first.Stats.AddedBytes} ({second.Stats.NewChunks} new chunks of {second.Content.Blocks})");
        Assert.NotEqual(first.Content.Sha256, second.Content.Sha256);
    }

    [PostgresFact]
    public void Missing_roles_are_created_from_the_globals_or_listed_before_any_data_is_loaded()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string role = "haven_t_owner_" + Guid.NewGuid().ToString("N")[..8];
        string group = "haven_t_readers_" + Guid.NewGuid().ToString("N")[..8];
        PostgresServer.Execute("postgres", $"CREATE ROLE {role} LOGIN PASSWORD 'owner-secret'; CREATE ROLE {group}; " +
            $"GRANT {group} TO {role}");
        Manifest withGlobals;
        Manifest without;
        string target;
        using (var database = new PostgresDatabase($"OWNER {role}"))
        {
            database.Execute($"CREATE TABLE plans (id int PRIMARY KEY, step text); ALTER TABLE plans OWNER TO {role};" +
                $"GRANT SELECT ON plans TO {group};" +
                "INSERT INTO plans SELECT g, 'step ' || g FROM generate_series(1, 100) g");
            withGlobals = Backup(repository, database.Connection, globals: true);
            without = Backup(repository, database.Connection);
            target = database.Related("copy");
        }

        PostgresServer.Execute("postgres", $"DROP ROLE {role}; DROP ROLE {group}");
        try
        {
            var refused = Assert.Throws<UsageException>(() => PostgresRestore.Run(
                repository, without, new PostgresRestoreOptions { Connection = PostgresServer.For(target) }));
            Assert.Contains(role, refused.Message, StringComparison.Ordinal);
            Assert.False(PostgresServer.Exists(target));
            Assert.Empty(PostgresServer.Column<string>(
                "postgres",
                $"SELECT datname FROM pg_database WHERE datname LIKE '{target}%'"));

            Assert.True(withGlobals.Postgres!.Globals!.WithPasswords);
            var result = PostgresRestore.Run(
                repository, withGlobals, new PostgresRestoreOptions { Connection = PostgresServer.For(target) });
            Assert.Equal(
                new[] { group, role }.Order(StringComparer.Ordinal),
                result.CreatedRoles.Order(StringComparer.Ordinal));
            Assert.True(PostgresServer.Scalar<bool>("postgres", $"SELECT pg_has_role('{role}', '{group}', 'MEMBER')"));
            Assert.Equal(
                role,
                PostgresServer.Scalar<string>(
                    target,
                    "SELECT tableowner::text FROM pg_tables WHERE tablename = 'plans'"));
            Assert.Equal(100, PostgresServer.Scalar<long>(target, "SELECT count(*) FROM plans"));
            // The role came back with its password: it can log in.
            using var login = new NpgsqlConnection(PostgresServer.For(target, role, "owner-secret"));
            login.Open();
        }
        finally
        {
            PostgresServer.Execute("postgres", $"DROP DATABASE IF EXISTS {target} WITH (FORCE)");
            PostgresServer.Execute("postgres", $"DROP ROLE IF EXISTS {role}; DROP ROLE IF EXISTS {group}");
        }
    }

    private static void RestoreTo(LocalRepository repository, Manifest manifest, string database) =>
        PostgresRestore.Run(
            repository,
            manifest,
            new PostgresRestoreOptions { Connection = PostgresServer.For(database) });

    /// <summary>Progress that runs its callback on the reporting thread (Progress&lt;T&gt; would post it).</summary>
    internal sealed class Inline(Action<Progress> action) : IProgress<Progress>
    {
        public void Report(Progress value) => action(value);
    }
}
