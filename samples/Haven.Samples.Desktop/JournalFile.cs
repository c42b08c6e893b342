using Microsoft.Data.Sqlite;

namespace Haven.Samples.Desktop;

/// <summary>The desktop journal: one SQLite file of dated entries, created if missing.</summary>
public sealed class JournalFile(string path)
{
    /// <summary>The file's full path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Creates the file, its folder and its table when missing.</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        Execute(
            "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS entries "
            + "(id INTEGER PRIMARY KEY, text TEXT NOT NULL, time TEXT NOT NULL)",
            null);
    }

    /// <summary>Adds an entry.</summary>
    public void Add(string text) => Execute("INSERT INTO entries (text, time) VALUES ($text, datetime('now'))", text);

    private void Execute(string sql, string? text)
    {
        using var connection = new SqliteConnection($"Data Source={Path}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (text is not null)
        {
            command.Parameters.AddWithValue("$text", text);
        }

        command.ExecuteNonQuery();
    }
}
