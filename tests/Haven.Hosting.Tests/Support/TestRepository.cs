using Haven.Core.Crypto;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Microsoft.Data.Sqlite;

namespace Haven.Hosting.Tests.Support;

/// <summary>A real repository opened with a key file (fast: no Argon2id), and helpers on SQLite files.</summary>
public sealed class TestRepository
{
    public TestRepository(TempFolder folder)
    {
        Root = folder.File("backups");
        KeyFile = folder.File("haven.key");
        using var secret = Secret.CreateKeyFile(KeyFile);
        LocalRepository.Init(Root, secret).Dispose();
    }

    public string Root { get; }

    public string KeyFile { get; }

    public LocalRepository Open()
    {
        using var secret = Secret.FromKeyFile(KeyFile);
        return LocalRepository.Open(Root, secret);
    }

    public IReadOnlyList<Manifest> Snapshots()
    {
        using var repository = Open();
        return repository.Snapshots();
    }

    /// <summary>
    /// Replaces the data folder with a file, so that every backup that stores new content fails (root ignores chmod).
    /// </summary>
    public void BreakData()
    {
        Directory.Move(Path.Combine(Root, "data"), Path.Combine(Root, "data.away"));
        File.WriteAllText(Path.Combine(Root, "data"), "not a folder");
    }

    public void RepairData()
    {
        File.Delete(Path.Combine(Root, "data"));
        Directory.Move(Path.Combine(Root, "data.away"), Path.Combine(Root, "data"));
    }

    public static void Execute(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
