using System.Security.Cryptography;
using Haven.Synthetic;

namespace Haven.Cli.Tests.Support;

/// <summary>A temporary folder with a generated database and a key-file repository made by the real CLI.</summary>
public sealed class CliFolder : IDisposable
{
    public CliFolder(double databaseMiB = 1, bool wal = true)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "haven-cli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
        Database = File("clinic.db");
        ClinicalDatabaseGenerator.Create(
            Database,
            new ClinicalDatabaseOptions { TargetBytes = (long)(databaseMiB * 1024 * 1024), Wal = wal });
        Repository = File("repo");
        KeyFile = File("repo.key");
        Haven = new HavenRunner(Repository, KeyFile);
    }

    public string Path { get; }

    public string Database { get; }

    public string Repository { get; }

    public string KeyFile { get; }

    public HavenRunner Haven { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public CliFolder Init()
    {
        var result = Haven.Run("init");
        Assert.True(result.ExitCode == 0, result.ToString());
        return this;
    }

    public string Backup(params string[] extra)
    {
        var result = Haven.Run(["backup", "sqlite", Database, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.LastLine;
    }

    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
