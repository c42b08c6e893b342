using System.Diagnostics;
using System.Globalization;
using System.Text;
using Haven.Core.Backup;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Postgres;
using Npgsql;

namespace Haven.Core.Restore;

/// <summary>Where and how to restore a PostgreSQL snapshot.</summary>
public sealed record PostgresRestoreOptions
{
    /// <summary>Npgsql connection string or postgres:// URL naming the target database.</summary>
    public required string Connection { get; init; }

    /// <summary>Where the connection came from, for messages.</summary>
    public string ConnectionOrigin { get; init; } = "--to-postgres";

    /// <summary>Replace a database that holds data; it is kept, renamed, as a dated pre-restore copy.</summary>
    public bool Replace { get; init; }

    /// <summary>With <see cref="Replace"/>: end other sessions connected to the target first.</summary>
    public bool Force { get; init; }

    /// <summary>Give every object to the restoring role and skip grants (pg_restore --no-owner --no-acl).</summary>
    public bool NoOwner { get; init; }

    /// <summary>Folder holding pg_restore; found automatically when null.</summary>
    public string? ToolDirectory { get; init; }

    /// <summary>Restore even though the audit log fails verification (the data is verified regardless).</summary>
    public bool AllowDamagedAudit { get; init; }

    /// <summary>Receives progress as chunks are fed to pg_restore.</summary>
    public IProgress<Progress>? Progress { get; init; }

    /// <summary>Cancels the restore; the target is then left as it was.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What a PostgreSQL restore did.</summary>
/// <param name="Snapshot">The snapshot restored.</param>
/// <param name="Target">The restored database (postgres://user@host:port/database).</param>
/// <param name="PreRestoreDatabase">Name the replaced database now has, or null when nothing was replaced.</param>
/// <param name="CreatedRoles">Roles created from the snapshot's globals because the server lacked them.</param>
/// <param name="Checks">The verifications that passed, in order.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record PostgresRestoreResult(
    Manifest Snapshot,
    string Target,
    string? PreRestoreDatabase,
    IReadOnlyList<string> CreatedRoles,
    IReadOnlyList<string> Checks,
    double Seconds);

/// <summary>
/// Restores a PostgreSQL snapshot without ever exposing a half-restored database: pg_restore loads
/// it into a fresh side database (created with the snapshot's encoding and locale), the result is
/// verified (every chunk, the dump's SHA-256, every table's row count, the large objects' count and
/// digests), and only then is it renamed to the target's name. A target that holds data is replaced
/// only with <see cref="PostgresRestoreOptions.Replace"/>, and then kept under a dated pre-restore
/// name; both renames happen in one transaction, so the app sees the old database or the new one.
/// </summary>
public static partial class PostgresRestore
{
    /// <summary>Restores <paramref name="snapshot"/> into the database named by the options.</summary>
    public static PostgresRestoreResult Run(
        LocalRepository repository,
        Manifest snapshot,
        PostgresRestoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        if (snapshot.Postgres is null)
        {
            throw new UsageException(
                $"Snapshot {snapshot.Id} is of a {snapshot.Source.Kind} source ({snapshot.Source.Path}), not of a " +
                "PostgreSQL database.",
                "Restore it with --to PATH.");
        }

        var target = PostgresEndpoint.Parse(options.Connection, options.ConnectionOrigin);
        if (!target.DatabaseGiven)
        {
            throw new UsageException(
                $"The restore target {options.ConnectionOrigin} names no database.",
                "Name the database to create or replace, e.g. postgres://user@host:5432/therapy_restored.");
        }

        if (target.Database is "postgres" or "template0" or "template1")
        {
            throw new UsageException(
                $"The restore target '{target.Database}' is one of PostgreSQL's own databases; Haven does not " +
                "restore over it.",
                "Name another database.");
        }

        var details = new Dictionary<string, string>
        {
            ["snapshot"] = snapshot.Id,
            ["source"] = snapshot.Source.Path,
            ["target"] = target.Display,
        };
        return AuditedRestore.Run(
            repository,
            details,
            options.AllowDamagedAudit,
            () => Restore(repository, snapshot, target, options),
            result => new Dictionary<string, string>
            {
                ["preRestoreDatabase"] = result.PreRestoreDatabase ?? "",
                ["createdRoles"] = string.Join(",", result.CreatedRoles),
                ["seconds"] = result.Seconds.ToString("F3", CultureInfo.InvariantCulture),
            });
    }

    private static PostgresRestoreResult Restore(
        LocalRepository repository,
        Manifest snapshot,
        PostgresEndpoint target,
        PostgresRestoreOptions options)
    {
        var stopwatch = Stopwatch.StartNew();
        using var admin = OpenMaintenance(target);
        try
        {
            var pgRestore = RestoreTool(admin, snapshot, options.ToolDirectory);
            bool exists = DatabaseExists(admin, target.Database);
            bool holdsData = exists && HoldsData(target);
            if (holdsData && !options.Replace)
            {
                throw new UsageException(
                    $"The target database '{target.Database}' on {target.Server} is not empty; nothing was changed.",
                    "Restore into a new database name, or add --replace to keep the current database as a dated " +
                    "pre-restore copy and put the restored one in its place.");
            }

            var createdRoles = options.NoOwner ? [] : EnsureRoles(repository, admin, snapshot);
            string side = DatedName(target.Database, "haven_restore", repository.Time.GetUtcNow());
            var checks = new List<string>();
            try
            {
                CreateDatabase(admin, side, snapshot, options.NoOwner);
                checks.AddRange(LoadAndVerify(
                    repository,
                    snapshot,
                    target.WithDatabase(side),
                    pgRestore,
                    options.NoOwner,
                    options.Progress,
                    options.CancellationToken));
                checks.Add(ApplyProperties(admin, side, snapshot.Postgres!, options.NoOwner));
                options.CancellationToken.ThrowIfCancellationRequested();
                string? kept = exists
                    ? Swap(admin, target, side, repository.Time.GetUtcNow(), options.Force, dropOld: !holdsData)
                    : Rename(admin, side, target.Database);
                checks.Add(kept is null
                    ? $"restored database renamed to '{target.Database}'"
                    : $"database '{target.Database}' replaced in one transaction; the previous one is kept " +
                        $"as '{kept}'");
                return new PostgresRestoreResult(
                    snapshot,
                    target.Display,
                    kept,
                    createdRoles,
                    checks,
                    stopwatch.Elapsed.TotalSeconds);
            }
            catch
            {
                DropDatabase(admin, side);
                DropRoles(admin, createdRoles);
                throw;
            }
        }
        catch (NpgsqlException e)
        {
            throw target.Explain(e);
        }
    }

    /// <summary>
    /// Feeds the snapshot's dump to pg_restore into <paramref name="database"/> (which exists and is
    /// empty), then checks it against the manifest. Any pg_restore error fails the restore.
    /// </summary>
    internal static List<string> LoadAndVerify(
        LocalRepository repository,
        Manifest snapshot,
        PostgresEndpoint database,
        PostgresTool pgRestore,
        bool noOwner,
        IProgress<Progress>? progress,
        CancellationToken cancel)
    {
        var arguments = new List<string>
        {
            "--exit-on-error", "--no-password", "--dbname=" + database.LibpqConnectionString(),
        };
        if (noOwner)
        {
            arguments.AddRange(["--no-owner", "--no-acl"]);
        }

        using (var process = PostgresProcess.Start(pgRestore, arguments, database.Password, writesInput: true))
        {
            Exception? feedError = null;
            try
            {
                SnapshotMaterializer.StreamTo(repository, snapshot, process.Input, progress, cancel);
                process.Input.Close();
            }
            catch (IOException e)
            {
                // pg_restore stopped reading: it failed, and its own message says why.
                feedError = e;
            }

            int exit = process.WaitForExit();
            if (exit != 0 || feedError is not null)
            {
                throw new HavenException(
                    $"{process.Failure(exit)}; the restore was abandoned and its partial database removed.",
                    "Nothing was replaced. If roles are missing, restore with the snapshot's globals or --no-owner.");
            }
        }

        var checks = new List<string>
        {
            "every chunk authenticated; the dump's SHA-256 equals the manifest",
            "pg_restore ended without errors",
        };
        using var connection = database.Open();
        // Counts must see every row, as pg_dump did; a role that row-level security would filter is refused.
        PostgresCatalog.Execute(connection, "SET row_security = off");
        var expected = snapshot.Postgres!;
        var actual = PostgresCatalog.CountRows(connection);
        foreach (var (table, rows) in expected.Tables)
        {
            long found = actual.GetValueOrDefault(table, -1);
            if (found != rows)
            {
                throw new IntegrityException(
                    $"Table {table} holds {(found < 0 ? "nothing (it is missing)" : $"{found} rows")} after the " +
                    "restore; " +
                    $"the snapshot recorded {rows}. The restored database was removed; nothing was replaced.");
            }
        }

        var extra = actual.Keys.Except(expected.Tables.Keys).ToList();
        if (extra.Count > 0)
        {
            throw new IntegrityException(
                $"The restored database has tables the snapshot did not record ({string.Join(", ", extra)}); " +
                "it was removed and nothing was replaced.");
        }

        checks.Add(
            $"row counts of {expected.Tables.Count} tables equal the manifest ({expected.Tables.Values.Sum()} rows)");
        var largeObjects = PostgresCatalog.LargeObjects(connection);
        if (largeObjects.Count != expected.LargeObjects || largeObjects.Sha256 != expected.LargeObjectsSha256)
        {
            throw new IntegrityException(
                $"The restored database has {largeObjects.Count} large objects (digest {largeObjects.Sha256}); the " +
                $"snapshot recorded {expected.LargeObjects} (digest {expected.LargeObjectsSha256}). It was removed; " +
                "nothing was replaced.");
        }

        checks.Add($"{expected.LargeObjects} large objects: count and SHA-256 of every one equal the manifest");
        return checks;
    }

    /// <summary>A connection to the target's server, on its maintenance database.</summary>
    internal static NpgsqlConnection OpenMaintenance(PostgresEndpoint target)
    {
        try
        {
            return target.WithDatabase("postgres").Open();
        }
        catch (UsageException) when (target.Database != "postgres")
        {
            return target.WithDatabase("template1").Open();
        }
    }

    /// <summary>pg_restore able to read the snapshot's archive and write to this server.</summary>
    internal static PostgresTool RestoreTool(NpgsqlConnection admin, Manifest snapshot, string? directory)
    {
        var (serverVersion, serverMajor) = PostgresCatalog.ServerVersion(admin);
        int dumpMajor = int.Parse(snapshot.Postgres!.DumpToolVersion.Split('.')[0], CultureInfo.InvariantCulture);
        var tool = PostgresTool.Locate("pg_restore", Math.Max(serverMajor, dumpMajor), serverVersion, directory);
        return tool.Major >= dumpMajor
            ? tool
            : throw new UsageException(
                $"pg_restore {tool.Version} cannot read a dump written by pg_dump {snapshot.Postgres.DumpToolVersion}.",
                $"Install PostgreSQL {dumpMajor}'s client programs or pass --pg-bin.");
    }

    /// <summary>Creates an empty database with the snapshot's encoding and locale.</summary>
    internal static void CreateDatabase(NpgsqlConnection admin, string name, Manifest snapshot, bool noOwner)
    {
        var facts = snapshot.Postgres!;
        string provider = facts.LocaleProvider == "i" && facts.IcuLocale is not null
            ? $" LOCALE_PROVIDER icu ICU_LOCALE {Literal(facts.IcuLocale)}"
            : "";
        PostgresCatalog.Execute(
            admin,
            $"CREATE DATABASE {PostgresEndpoint.Quote(name)} TEMPLATE template0 ENCODING {Literal(facts.Encoding)} " +
            $"LC_COLLATE {Literal(facts.Collate)} LC_CTYPE {Literal(facts.Ctype)}{provider}");
        if (!noOwner && PostgresCatalog.MissingRoles(admin, [facts.Owner]).Count == 0)
        {
            PostgresCatalog.Execute(
                admin,
                $"ALTER DATABASE {PostgresEndpoint.Quote(name)} OWNER TO {PostgresEndpoint.Quote(facts.Owner)}");
        }
    }

    /// <summary>Drops a database Haven created, ending any session still in it.</summary>
    internal static void DropDatabase(NpgsqlConnection admin, string name)
    {
        try
        {
            PostgresCatalog.Execute(admin, $"DROP DATABASE IF EXISTS {PostgresEndpoint.Quote(name)} WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The original failure matters more; a leftover side database is named after the target.
        }
    }

    /// <summary>"name_what_YYYYMMDDhhmmss", shortened to PostgreSQL's 63-byte limit.</summary>
    internal static string DatedName(string database, string what, DateTimeOffset time)
    {
        string suffix = $"_{what}_{time.UtcDateTime:yyyyMMddHHmmss}";
        string stem = database;
        while (Encoding.UTF8.GetByteCount(stem + suffix) > 63)
        {
            stem = stem[..^1];
        }

        return stem + suffix;
    }

    private static bool DatabaseExists(NpgsqlConnection admin, string name)
    {
        using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin);
        command.Parameters.AddWithValue("name", name);
        return command.ExecuteScalar() is not null;
    }

    private static bool HoldsData(PostgresEndpoint target)
    {
        using var connection = target.Open();
        return PostgresCatalog.UserObjects(connection) > 0;
    }

    /// <summary>
    /// Makes sure the roles the snapshot's objects belong to exist before any data is loaded: creates
    /// the missing ones from the snapshot's globals when it has them, else stops and names them.
    /// </summary>
    private static List<string> EnsureRoles(LocalRepository repository, NpgsqlConnection admin, Manifest snapshot)
    {
        var facts = snapshot.Postgres!;
        var missing = PostgresCatalog.MissingRoles(admin, facts.Roles.Append(facts.Owner).Distinct());
        if (missing.Count == 0)
        {
            return [];
        }

        if (facts.Globals is null)
        {
            throw new UsageException(
                $"The target server lacks roles that own or hold rights on the snapshot's objects: " +
                $"{string.Join(", ", missing)}; nothing was loaded.",
                "Create those roles first, back up with --globals so that Haven can create them, or restore with " +
                "--no-owner to give everything to the restoring role.");
        }

        using var reader = new ChunkReader(repository);
        string sql = Encoding.UTF8.GetString(reader.Read(ChunkId.Parse(facts.Globals.Chunk)));
        string[] lines = sql.Split('\n');
        var statements = new List<string>();
        foreach (string role in missing)
        {
            string[] names = [role, PostgresEndpoint.Quote(role)];
            var defining = lines
                .Where(line => names.Any(n => line == $"CREATE ROLE {n};"
                    || line.StartsWith($"ALTER ROLE {n} WITH ", StringComparison.Ordinal)))
                .ToList();
            if (defining.Count == 0)
            {
                throw new UsageException(
                    $"The target server lacks role '{role}', and the snapshot's globals do not define it; nothing " +
                    "was loaded.",
                    "Create the role first, or restore with --no-owner.");
            }

            statements.AddRange(defining);
        }

        // Memberships that involve a created role ("GRANT group TO member"), without the GRANTED BY
        // clause, whose grantor may not exist here.
        var created = missing.ToHashSet(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            var grant = MembershipPattern().Match(line);
            if (grant.Success
                && (created.Contains(Unquote(grant.Groups["role"].Value))
                    || created.Contains(Unquote(grant.Groups["member"].Value))))
            {
                statements.Add($"GRANT {grant.Groups["role"].Value} TO {grant.Groups["member"].Value}" +
                    (grant.Groups["admin"].Success ? " WITH ADMIN OPTION" : ""));
            }
        }

        foreach (string statement in statements)
        {
            PostgresCatalog.Execute(admin, statement);
        }

        return missing;
    }

    private static string? Rename(NpgsqlConnection admin, string from, string to)
    {
        PostgresCatalog.Execute(admin, RenameSql(from, to));
        return null;
    }

    /// <summary>
    /// Renames the target to a dated pre-restore name and the side database to the target's name in one
    /// transaction. Returns the pre-restore name, or null when the old database was empty and dropped.
    /// </summary>
    private static string? Swap(
        NpgsqlConnection admin,
        PostgresEndpoint target,
        string side,
        DateTimeOffset now,
        bool force,
        bool dropOld)
    {
        string kept = DatedName(target.Database, "pre_restore", now);
        for (int attempt = 1; ; attempt++)
        {
            if (force)
            {
                using var terminate = new NpgsqlCommand(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @name " +
                    "AND pid <> pg_backend_pid()",
                    admin);
                terminate.Parameters.AddWithValue("name", target.Database);
                terminate.ExecuteScalar();
            }

            try
            {
                using var transaction = admin.BeginTransaction();
                PostgresCatalog.Execute(admin, RenameSql(target.Database, kept));
                PostgresCatalog.Execute(admin, RenameSql(side, target.Database));
                transaction.Commit();
                break;
            }
            catch (PostgresException e) when (e.SqlState == "55006")
            {
                if (!force || attempt == 3)
                {
                    throw new BusyException(
                        $"The database '{target.Database}' on {target.Server} has other sessions connected; the " +
                        "verified restore was not put in place and the database was left as it was.",
                        "Stop the app (or close its connections) and run the restore again, or add --force to end " +
                        "them.");
                }
            }
        }

        if (dropOld && !HoldsData(target.WithDatabase(kept)))
        {
            DropDatabase(admin, kept);
            return null;
        }

        return kept;
    }

    /// <summary>
    /// Gives the restored database the snapshot's own properties (pg_restore applies them only to a
    /// database it creates under the original name): privileges, settings, comment, connection limit.
    /// </summary>
    private static string ApplyProperties(NpgsqlConnection admin, string database, PostgresInfo facts, bool noOwner)
    {
        var properties = facts.Properties;
        string name = PostgresEndpoint.Quote(database);
        if (properties.ConnectionLimit != -1)
        {
            PostgresCatalog.Execute(
                admin,
                $"ALTER DATABASE {name} CONNECTION LIMIT " +
                properties.ConnectionLimit.ToString(CultureInfo.InvariantCulture));
        }

        if (properties.Comment is not null)
        {
            PostgresCatalog.Execute(admin, $"COMMENT ON DATABASE {name} IS {Literal(properties.Comment)}");
        }

        foreach (var setting in properties.Settings)
        {
            string value = ListSettings.Contains(setting.Name) ? setting.Value : Literal(setting.Value);
            PostgresCatalog.Execute(
                admin,
                setting.Role.Length == 0
                    ? $"ALTER DATABASE {name} SET {PostgresEndpoint.Quote(setting.Name)} = {value}"
                    : $"ALTER ROLE {PostgresEndpoint.Quote(setting.Role)} IN DATABASE {name} " +
                        $"SET {PostgresEndpoint.Quote(setting.Name)} = {value}");
        }

        if (properties.Grants is { } grants && !noOwner)
        {
            PostgresCatalog.Execute(admin, $"REVOKE ALL ON DATABASE {name} FROM PUBLIC");
            foreach (var grant in grants)
            {
                string grantee = grant.Grantee.Length == 0 ? "PUBLIC" : PostgresEndpoint.Quote(grant.Grantee);
                PostgresCatalog.Execute(
                    admin,
                    $"GRANT {grant.Privilege} ON DATABASE {name} TO {grantee}" +
                    (grant.Grantable ? " WITH GRANT OPTION" : ""));
            }
        }

        string privileges = properties.Grants is null || noOwner
            ? "default"
            : properties.Grants.Count.ToString(CultureInfo.InvariantCulture);
        return $"database properties applied: {privileges} privileges, {properties.Settings.Count} settings, " +
            "comment, connection limit";
    }

    /// <summary>Settings whose value is a list written as SQL (quoting it whole would make one element).</summary>
    private static readonly HashSet<string> ListSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries",
        "shared_preload_libraries",
    };

    /// <summary>Drops roles this restore created, when it fails: nothing of it stays behind.</summary>
    private static void DropRoles(NpgsqlConnection admin, IReadOnlyList<string> roles)
    {
        foreach (string role in roles)
        {
            try
            {
                PostgresCatalog.Execute(admin, $"DROP ROLE IF EXISTS {PostgresEndpoint.Quote(role)}");
            }
            catch (NpgsqlException)
            {
                // Something else now depends on it: leave it.
            }
        }
    }

    private static string Unquote(string identifier) =>
        identifier.StartsWith('"')
            ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal)
            : identifier;

    /// <summary>pg_dumpall's role membership line: GRANT role TO member [WITH ADMIN OPTION] [GRANTED BY x];</summary>
    [System.Text.RegularExpressions.GeneratedRegex(
        "^GRANT (?<role>\"(?:[^\"]|\"\")+\"|[^ \"]+) TO (?<member>\"(?:[^\"]|\"\")+\"|[^ \"]+)" +
        "(?<admin> WITH ADMIN OPTION)?( GRANTED BY .*)?;$")]
    private static partial System.Text.RegularExpressions.Regex MembershipPattern();

    private static string RenameSql(string from, string to) =>
        $"ALTER DATABASE {PostgresEndpoint.Quote(from)} RENAME TO {PostgresEndpoint.Quote(to)}";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
