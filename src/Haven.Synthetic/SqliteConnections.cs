using Microsoft.Data.Sqlite;

namespace Haven.Synthetic;

/// <summary>Opens connections and runs one-off statements.</summary>
internal static class SqliteConnections
{
    /// <summary>
    /// Opens <paramref name="path"/> without pooling, so the file is really closed when the
    /// connection is disposed and a test can copy, delete or back it up right away.
    /// </summary>
    public static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Opens an existing database for writing, naming the file if it is missing.</summary>
    public static SqliteConnection OpenExisting(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No database at '{path}'; create it first.", path);
        }

        return Open(path, SqliteOpenMode.ReadWrite);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long QueryInt64(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    public static bool TableExists(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return (long)command.ExecuteScalar()! > 0;
    }
}
