using System.Security.Cryptography;
using Haven.Core.Crypto;
using Haven.Core.Repository;
using Haven.Synthetic;
using Microsoft.Data.Sqlite;

namespace Haven.Core.Tests.Support;

/// <summary>Generated databases and repositories for tests. No real person's data anywhere.</summary>
public static class Fixtures
{
    /// <summary>A repository opened with a fresh key file (fast: no Argon2id).</summary>
    public static LocalRepository NewRepository(TempFolder folder, string name = "repo")
    {
        using var secret = Secret.CreateKeyFile(folder.File(name + ".key"));
        return LocalRepository.Init(folder.File(name), secret);
    }

    public static LocalRepository Reopen(TempFolder folder, string name = "repo")
    {
        using var secret = Secret.FromKeyFile(folder.File(name + ".key"));
        return LocalRepository.Open(folder.File(name), secret);
    }

    /// <summary>A generated clinical database of about <paramref name="mib"/> MiB.</summary>
    public static string ClinicalDatabase(
        TempFolder folder,
        double mib,
        bool wal = true,
        int seed = 1,
        IReadOnlyList<string>? markers = null,
        string name = "clinic.db")
    {
        string path = folder.File(name);
        ClinicalDatabaseGenerator.Create(path, new ClinicalDatabaseOptions
        {
            TargetBytes = (long)(mib * 1024 * 1024),
            Seed = seed,
            Wal = wal,
            Markers = markers ?? [],
        });
        return path;
    }

    /// <summary>
    /// A small clinical database that SQLite opens and counts normally but that is corrupt: one
    /// index points at another table's index, so both claim the same pages and disagree with their tables.
    /// </summary>
    public static string CorruptDatabase(TempFolder folder)
    {
        string database = ClinicalDatabase(folder, 0.3);
        Execute(database, """
            CREATE TABLE t1(x); CREATE TABLE t2(x);
            INSERT INTO t1 VALUES (1), (2), (3); INSERT INTO t2 VALUES (7);
            CREATE INDEX i1 ON t1(x); CREATE INDEX i2 ON t2(x);
            """);
        Execute(
            database,
            "PRAGMA writable_schema = ON; UPDATE sqlite_master SET rootpage = (SELECT " +
            "rootpage FROM sqlite_master WHERE name = 'i2') WHERE name = 'i1';");
        return database;
    }

    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Total bytes of every file under <paramref name="folder"/>.</summary>
    public static long FolderBytes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }

    public static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
