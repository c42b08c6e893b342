using Microsoft.Data.Sqlite;

namespace Haven.Synthetic;

/// <summary>
/// One compiled INSERT reused for every row: re-parsing the SQL per row would dominate the time
/// of a bulk load.
/// </summary>
internal sealed class PreparedInsert : IDisposable
{
    private readonly SqliteCommand _command;
    private readonly SqliteParameter[] _parameters;

    public PreparedInsert(SqliteConnection connection, string table, params string[] columns)
    {
        _command = connection.CreateCommand();
        _command.CommandText =
            $"INSERT INTO {table} ({string.Join(", ", columns)}) " +
            $"VALUES ({string.Join(", ", columns.Select(c => "$" + c))})";
        _parameters = columns.Select(c => _command.Parameters.Add(new SqliteParameter("$" + c, null))).ToArray();
        _command.Prepare();
    }

    /// <summary>Inserts one row; values follow the column order given to the constructor.</summary>
    public void Execute(params object?[] values)
    {
        for (var i = 0; i < _parameters.Length; i++)
        {
            _parameters[i].Value = values[i] ?? DBNull.Value;
        }

        _command.ExecuteNonQuery();
    }

    public void Dispose() => _command.Dispose();
}
