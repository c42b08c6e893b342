using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Haven.Core.Snapshots;
using Npgsql;

namespace Haven.Core.Sources.Postgres;

/// <summary>
/// Facts read from a database's catalog: at backup time inside the exported snapshot that pg_dump
/// reads (so they describe exactly what the dump holds), and again after a restore to prove the
/// restored database holds the same.
/// </summary>
internal static class PostgresCatalog
{
    /// <summary>Schemas PostgreSQL owns; pg_dump does not dump their contents.</summary>
    private const string UserSchemas =
        "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' " +
        "AND n.nspname NOT LIKE 'pg\\_temp%'";

    /// <summary>The server's version ("15.18") and major version (15).</summary>
    public static (string Version, int Major) ServerVersion(NpgsqlConnection connection)
    {
        int number = Convert.ToInt32(Scalar(connection, "SHOW server_version_num"), CultureInfo.InvariantCulture);
        string version = ((string)Scalar(connection, "SHOW server_version")!).Split(' ')[0];
        return (version, number / 10000);
    }

    /// <summary>Owner, encoding, collation, character type and locale provider of the connected database.</summary>
    public static (string Owner, string Encoding, string Collate, string Ctype, string Provider, string? IcuLocale)
        Database(NpgsqlConnection connection, int serverMajor)
    {
        string provider = serverMajor >= 17 ? "datlocprovider::text, datlocale"
            : serverMajor >= 15 ? "datlocprovider::text, daticulocale"
            : "'', NULL::text";
        using var command = new NpgsqlCommand(
            "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype, " +
            $"{provider} FROM pg_database WHERE datname = current_database()",
            connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5));
    }

    /// <summary>The database's privileges, settings, comment and connection limit.</summary>
    public static DatabaseProperties Properties(NpgsqlConnection connection)
    {
        const string ThisDatabase = "(SELECT oid FROM pg_database WHERE datname = current_database())";
        bool defaults = (bool)Scalar(
            connection,
            $"SELECT datacl IS NULL FROM pg_database WHERE oid = {ThisDatabase}")!;
        return new DatabaseProperties
        {
            Grants = defaults
                ? null
                : Rows(
                    connection,
                    "SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, " +
                    $"a.is_grantable::text FROM pg_database d, aclexplode(d.datacl) a WHERE d.oid = {ThisDatabase} " +
                    "ORDER BY 1, 2")
                    .Select(r => new DatabaseGrant(r[0], r[1], r[2] == "true"))
                    .ToList(),
            Settings = Rows(
                    connection,
                    "SELECT CASE WHEN s.setrole = 0 THEN '' ELSE pg_get_userbyid(s.setrole) END, c FROM " +
                    $"pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setdatabase = {ThisDatabase} ORDER BY 1, 2")
                .Select(r => new DatabaseSetting(r[0], r[1].Split('=', 2)[0], r[1].Split('=', 2)[1]))
                .ToList(),
            Comment = Scalar(connection, $"SELECT shobj_description({ThisDatabase}, 'pg_database')") as string,
            ConnectionLimit = Convert.ToInt32(
                Scalar(connection, $"SELECT datconnlimit FROM pg_database WHERE oid = {ThisDatabase}"),
                CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Installed extensions and their versions.</summary>
    public static Dictionary<string, string> Extensions(NpgsqlConnection connection) =>
        Rows(connection, "SELECT extname, extversion FROM pg_extension ORDER BY extname")
            .ToDictionary(r => r[0], r => r[1], StringComparer.Ordinal);

    /// <summary>
    /// Rows of every table whose data pg_dump writes (ordinary tables and partitions outside the
    /// system schemas, not temporary, not belonging to an extension), keyed "schema"."table".
    /// </summary>
    public static Dictionary<string, long> CountRows(NpgsqlConnection connection)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string name in DumpedTables(connection).Keys)
        {
            counts[name] = Convert.ToInt64(
                Scalar(connection, $"SELECT count(*) FROM ONLY {name}"),
                CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>
    /// Reads every sequence pg_dump will read (its state is dumped with the data), so that a role
    /// without SELECT on one fails here, in one sentence, before pg_dump starts.
    /// </summary>
    public static void ReadSequences(NpgsqlConnection connection)
    {
        var sequences = Rows(
            connection,
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            $"WHERE c.relkind = 'S' AND c.relpersistence <> 't' AND {UserSchemas} " +
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass " +
            "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1, 2");
        foreach (var sequence in sequences)
        {
            Scalar(
                connection,
                $"SELECT last_value FROM {PostgresEndpoint.Quote(sequence[0])}.{PostgresEndpoint.Quote(sequence[1])}");
        }
    }

    /// <summary>The file node of every dumped table: it changes when a table is truncated or rewritten.</summary>
    public static Dictionary<string, long> FileNodes(NpgsqlConnection connection) => DumpedTables(connection);

    /// <summary>
    /// Tables whose file node is no longer the one recorded (or that are gone), read outside any snapshot.
    /// </summary>
    public static List<string> RewrittenTables(NpgsqlConnection connection, Dictionary<string, long> recorded)
    {
        var now = DumpedTables(connection);
        return recorded.Where(t => now.GetValueOrDefault(t.Key, -1) != t.Value).Select(t => t.Key).ToList();
    }

    /// <summary>
    /// Tables whose data pg_dump writes, keyed "schema"."table", with their file nodes.
    /// </summary>
    private static Dictionary<string, long> DumpedTables(NpgsqlConnection connection) =>
        Rows(
            connection,
            "SELECT n.nspname, c.relname, c.relfilenode::text FROM pg_class c JOIN pg_namespace n ON n.oid = " +
            $"c.relnamespace WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {UserSchemas} " +
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass " +
            "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1, 2")
            .ToDictionary(
                r => PostgresEndpoint.Quote(r[0]) + "." + PostgresEndpoint.Quote(r[1]),
                r => long.Parse(r[2], CultureInfo.InvariantCulture),
                StringComparer.Ordinal);

    /// <summary>
    /// Number of large objects and a SHA-256 over "oid sha256-of-content\n" lines in oid order (each
    /// object's digest computed by the server, so no object passes through Haven's memory).
    /// </summary>
    public static (long Count, string Sha256) LargeObjects(NpgsqlConnection connection)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long count = 0;
        foreach (var row in Rows(
            connection,
            "SELECT oid::text, encode(sha256(lo_get(oid)), 'hex') FROM pg_largeobject_metadata ORDER BY oid"))
        {
            digest.AppendData(Encoding.UTF8.GetBytes($"{row[0]} {row[1]}\n"));
            count++;
        }

        return (count, count == 0 ? "" : Convert.ToHexStringLower(digest.GetHashAndReset()));
    }

    /// <summary>
    /// Roles a restore of this database needs: its owner and every role that owns an object in it or
    /// holds a privilege on one (PostgreSQL's shared dependency catalog records both).
    /// </summary>
    public static List<string> Roles(NpgsqlConnection connection) =>
        Rows(
            connection,
            "SELECT rolname FROM pg_roles WHERE oid IN (" +
            "SELECT refobjid FROM pg_shdepend WHERE refclassid = 'pg_authid'::regclass AND (dbid = " +
            "(SELECT oid FROM pg_database WHERE datname = current_database()) OR (dbid = 0 AND classid = " +
            "'pg_database'::regclass AND objid = (SELECT oid FROM pg_database WHERE datname = current_database()))) " +
            "UNION SELECT setrole FROM pg_db_role_setting WHERE setdatabase = " +
            "(SELECT oid FROM pg_database WHERE datname = current_database()) " +
            "UNION SELECT datdba FROM pg_database WHERE datname = current_database()) " +
            "AND rolname NOT LIKE 'pg\\_%' ORDER BY 1")
            .Select(r => r[0])
            .ToList();

    /// <summary>Which of <paramref name="roles"/> the connected server lacks.</summary>
    public static List<string> MissingRoles(NpgsqlConnection connection, IEnumerable<string> roles)
    {
        var present = Rows(connection, "SELECT rolname FROM pg_roles")
            .Select(r => r[0])
            .ToHashSet(StringComparer.Ordinal);
        return roles.Where(r => !present.Contains(r)).ToList();
    }

    /// <summary>
    /// Objects a database holds outside the system schemas, to tell an empty database from one in use.
    /// </summary>
    public static long UserObjects(NpgsqlConnection connection) =>
        Convert.ToInt64(Scalar(
            connection,
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
            $"WHERE {UserSchemas}) + (SELECT count(*) FROM pg_largeobject_metadata) + " +
            "(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE " +
            $"{UserSchemas}) + (SELECT count(*) FROM pg_namespace n WHERE {UserSchemas} AND n.nspname <> 'public')"),
            CultureInfo.InvariantCulture);

    public static object? Scalar(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static List<string[]> Rows(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            var row = new string[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.GetString(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}
