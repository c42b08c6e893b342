using System.Data;
using System.Diagnostics;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Postgres;
using Npgsql;

namespace Haven.Core.Backup;

/// <summary>How to reach a PostgreSQL database and its tools.</summary>
public sealed record PostgresBackupOptions
{
    /// <summary>Npgsql connection string or postgres:// URL.</summary>
    public required string Connection { get; init; }

    /// <summary>Where the connection came from, for messages ("--connection", "HAVEN_PG_CONNECTION").</summary>
    public string ConnectionOrigin { get; init; } = "the connection";

    /// <summary>Folder holding pg_dump, pg_dumpall and pg_restore; found automatically when null.</summary>
    public string? ToolDirectory { get; init; }

    /// <summary>Also store the cluster's roles and tablespaces (pg_dumpall --globals-only).</summary>
    public bool Globals { get; init; }

    /// <summary>Called with pg_dump's process id once it runs (tests use it to stop pg_dump midway).</summary>
    public Action<int>? DumpStarted { get; init; }
}

/// <summary>
/// Takes a snapshot of a live PostgreSQL database. Haven opens a REPEATABLE READ transaction,
/// exports its snapshot, counts every table's rows and digests every large object in it, and runs
/// pg_dump on that same snapshot: the manifest's counts describe exactly what the dump holds while
/// the app keeps writing. pg_dump writes its custom format uncompressed to a pipe; Haven cuts the
/// stream into content-defined chunks, so unchanged data is stored once, and never stages the dump on disk.
/// </summary>
public static class PostgresBackup
{
    /// <summary>Backs up the database under the repository lock.</summary>
    public static Manifest Run(LocalRepository repository, PostgresBackupOptions options, BackupRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = PostgresEndpoint.Parse(options.Connection, options.ConnectionOrigin);
        request ??= new BackupRequest();
        using var repositoryLock = repository.Lock("backup postgres");
        return AuditedBackup.Run(
            repository,
            "postgres",
            endpoint.SourcePath,
            request,
            head => Snapshot(repository, endpoint, options, request, head));
    }

    private static Manifest Snapshot(
        LocalRepository repository,
        PostgresEndpoint endpoint,
        PostgresBackupOptions options,
        BackupRequest request,
        AuditHead head)
    {
        var stopwatch = Stopwatch.StartNew();
        using var connection = endpoint.Open();
        try
        {
            var (serverVersion, serverMajor) = PostgresCatalog.ServerVersion(connection);
            var pgDump = PostgresTool.Locate("pg_dump", serverMajor, serverVersion, options.ToolDirectory);
            var pgDumpAll = options.Globals
                ? PostgresTool.Locate("pg_dumpall", serverMajor, serverVersion, options.ToolDirectory)
                : null;

            // The exporting transaction takes no lock and must survive sitting idle while pg_dump runs.
            PostgresCatalog.Execute(connection, "SET idle_in_transaction_session_timeout = 0");
            PostgresCatalog.Execute(connection, "SET statement_timeout = 0");
            using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
            PostgresCatalog.Execute(connection, "SET TRANSACTION READ ONLY");
            string exported = (string)PostgresCatalog.Scalar(connection, "SELECT pg_export_snapshot()")!;
            DateTime time = repository.Time.GetUtcNow().UtcDateTime;

            // Facts are read on a second connection that imports the same snapshot and commits before
            // pg_dump starts: counting takes share locks on every table, and holding them while waiting
            // for pg_dump would let an app's exclusive lock request (TRUNCATE, ALTER TABLE) queue between
            // them and deadlock the three of us where PostgreSQL cannot see it.
            using var facts = endpoint.Open();
            PostgresCatalog.Execute(facts, "SET statement_timeout = 0");
            Dictionary<string, long> files;
            PostgresInfo info;
            using (var read = facts.BeginTransaction(IsolationLevel.RepeatableRead))
            {
                PostgresCatalog.Execute(facts, "SET TRANSACTION READ ONLY");
                PostgresCatalog.Execute(facts, $"SET TRANSACTION SNAPSHOT '{exported}'");
                // pg_dump refuses to read a table through row-level security; so must the counts.
                PostgresCatalog.Execute(facts, "SET LOCAL row_security = off");
                info = ReadFacts(facts, endpoint, serverVersion, serverMajor, pgDump);
                files = PostgresCatalog.FileNodes(facts);
                read.Commit();
            }

            using var writer = new PackWriter(repository, repository.Cipher);
            var content = Dump(repository, writer, endpoint, pgDump, exported, options, request);
            // TRUNCATE, VACUUM FULL, CLUSTER and rewriting ALTER TABLEs are not MVCC-safe: one that
            // committed after the snapshot but before pg_dump locked the table changes what both saw.
            var rewritten = PostgresCatalog.RewrittenTables(facts, files);
            if (rewritten.Count > 0)
            {
                throw new HavenException(
                    $"Table {string.Join(", ", rewritten)} of {endpoint.Display} was truncated or rewritten while " +
                    "the backup started, so the dump may not match the snapshot; no snapshot was recorded.",
                    "Run the backup again.");
            }

            if (pgDumpAll is not null)
            {
                info = info with { Globals = DumpGlobals(repository, writer, endpoint, pgDumpAll) };
            }

            transaction.Rollback();
            return BlockStore.Commit(
                repository,
                writer,
                new SourceInfo("postgres", endpoint.SourcePath, endpoint.Database),
                sqlite: null,
                content,
                request,
                time,
                stopwatch,
                head,
                pagesRead: content.Blocks,
                info);
        }
        catch (Exception e) when (e is NpgsqlException)
        {
            throw endpoint.Explain(e);
        }
    }

    private static PostgresInfo ReadFacts(
        Npgsql.NpgsqlConnection connection,
        PostgresEndpoint endpoint,
        string serverVersion,
        int serverMajor,
        PostgresTool pgDump)
    {
        var database = PostgresCatalog.Database(connection, serverMajor);
        PostgresCatalog.ReadSequences(connection);
        var largeObjects = PostgresCatalog.LargeObjects(connection);
        return new PostgresInfo
        {
            ServerVersion = serverVersion,
            DumpToolVersion = pgDump.Version,
            Database = endpoint.Database,
            Owner = database.Owner,
            Encoding = database.Encoding,
            Collate = database.Collate,
            Ctype = database.Ctype,
            LocaleProvider = database.Provider,
            IcuLocale = database.IcuLocale,
            Properties = PostgresCatalog.Properties(connection),
            Extensions = PostgresCatalog.Extensions(connection),
            Tables = PostgresCatalog.CountRows(connection),
            LargeObjects = largeObjects.Count,
            LargeObjectsSha256 = largeObjects.Sha256,
            Roles = PostgresCatalog.Roles(connection),
        };
    }

    private static ContentInfo Dump(
        LocalRepository repository,
        PackWriter writer,
        PostgresEndpoint endpoint,
        PostgresTool pgDump,
        string exportedSnapshot,
        PostgresBackupOptions options,
        BackupRequest request)
    {
        using var dump = PostgresProcess.Start(
            pgDump,
            [
                "--format=custom", "--compress=0", "--snapshot=" + exportedSnapshot, "--no-password",
                "--dbname=" + endpoint.LibpqConnectionString(),
            ],
            endpoint.Password);
        options.DumpStarted?.Invoke(dump.Id);
        // A failure while storing (disk full, say) leaves this method with pg_dump still running:
        // disposing the process stops it. A pg_dump that stops early ends the stream early; only its
        // exit status tells a whole dump from a cut one.
        var content = BlockStore.StoreStream(repository, writer, dump.Output, request);
        if (dump.WaitForExit() != 0)
        {
            throw DumpFailed(dump, endpoint);
        }

        return content;
    }

    private static HavenException DumpFailed(PostgresProcess dump, PostgresEndpoint endpoint)
    {
        string failure = dump.Failure(dump.WaitForExit());
        string message = $"{failure} while dumping {endpoint.Display}; no snapshot was recorded.";
        return dump.Errors.Contains("permission denied", StringComparison.Ordinal)
            ? new UsageException(message, "Back up as the database's owner, or as a role granted pg_read_all_data.")
            : new HavenException(message);
    }

    /// <summary>
    /// Stores roles and tablespaces. Role passwords need superuser rights (pg_authid); without them
    /// the roles are stored without passwords; when even that is refused, the backup fails naming why,
    /// because the operator asked for globals.
    /// </summary>
    private static GlobalsInfo DumpGlobals(
        LocalRepository repository,
        PackWriter writer,
        PostgresEndpoint endpoint,
        PostgresTool pgDumpAll)
    {
        string connection = endpoint.LibpqConnectionString();
        var (sql, error) = RunDumpAll(
            pgDumpAll,
            endpoint,
            ["--globals-only", "--no-password", "--dbname=" + connection]);
        bool withPasswords = sql is not null;
        if (sql is null)
        {
            (sql, error) = RunDumpAll(
                pgDumpAll,
                endpoint,
                ["--globals-only", "--no-role-passwords", "--no-password", "--dbname=" + connection]);
        }

        if (sql is null)
        {
            throw new UsageException(
                $"Role '{endpoint.User}' may not read the cluster's roles and tablespaces ({error}); no snapshot was " +
                "recorded.",
                "Run without --globals, or back up as a role that may read pg_roles (a superuser also saves role " +
                "passwords).");
        }

        var id = ChunkId.Compute(repository.ChunkIdKey, sql);
        if (!repository.Index.ContainsKey(id))
        {
            writer.Add(id, ChunkType.Page, sql);
        }

        return new GlobalsInfo(id.ToString(), sql.Length, withPasswords);
    }

    private static (byte[]? Sql, string Error) RunDumpAll(
        PostgresTool pgDumpAll,
        PostgresEndpoint endpoint,
        string[] arguments)
    {
        using var process = PostgresProcess.Start(pgDumpAll, arguments, endpoint.Password);
        using var output = new MemoryStream();
        process.Output.CopyTo(output);
        int exit = process.WaitForExit();
        return exit == 0 ? (output.ToArray(), "") : (null, process.Failure(exit));
    }
}
