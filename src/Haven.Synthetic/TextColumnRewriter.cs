using Microsoft.Data.Sqlite;

namespace Haven.Synthetic;

/// <summary>
/// Rewrites one row's text column in place with new text of about the same length, plus a
/// numeric column. Keeping the length keeps the row on its page, as a user's edit usually does,
/// so the change touches few pages of the file.
/// </summary>
internal sealed class TextColumnRewriter : IDisposable
{
    private readonly SqliteCommand _length;
    private readonly SqliteCommand _update;

    public TextColumnRewriter(SqliteConnection connection, string table, string textColumn, string numberColumn)
    {
        _length = connection.CreateCommand();
        _length.CommandText = $"SELECT length({textColumn}) FROM {table} WHERE id = $id";
        _length.Parameters.Add(new SqliteParameter("$id", 0L));
        _length.Prepare();

        _update = connection.CreateCommand();
        _update.CommandText = $"UPDATE {table} SET {textColumn} = $text, {numberColumn} = $number WHERE id = $id";
        _update.Parameters.Add(new SqliteParameter("$id", 0L));
        _update.Parameters.Add(new SqliteParameter("$text", ""));
        _update.Parameters.Add(new SqliteParameter("$number", 0L));
        _update.Prepare();
    }

    /// <summary>
    /// Rewrites row <paramref name="id"/>; returns <see langword="false"/> if it does not exist.
    /// </summary>
    /// <param name="id">Row id.</param>
    /// <param name="text">Makes new text of at least the given length.</param>
    /// <param name="number">Makes the numeric column's new value from the new text.</param>
    public bool Rewrite(long id, Func<int, string> text, Func<string, long> number)
    {
        _length.Parameters[0].Value = id;
        if (_length.ExecuteScalar() is not long oldLength)
        {
            return false;
        }

        // Whole sentences overshoot the requested length by half a sentence on average.
        var newText = text((int)Math.Max(20, oldLength - 30));
        _update.Parameters[0].Value = id;
        _update.Parameters[1].Value = newText;
        _update.Parameters[2].Value = number(newText);
        return _update.ExecuteNonQuery() > 0;
    }

    public void Dispose()
    {
        _length.Dispose();
        _update.Dispose();
    }
}
