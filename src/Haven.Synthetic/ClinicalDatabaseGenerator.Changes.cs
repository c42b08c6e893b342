using Microsoft.Data.Sqlite;
using static Haven.Synthetic.SqliteConnections;

namespace Haven.Synthetic;

/// <summary>Changes to an existing synthetic database, for incremental backup tests.</summary>
public static partial class ClinicalDatabaseGenerator
{
    /// <summary>
    /// Rewrites <paramref name="fraction"/> of the rows of <c>mood_logs</c> and <c>chat_history</c>,
    /// chosen uniformly at random across both tables, in one transaction: new note or message text
    /// of similar length, and a new <c>mood</c> or <c>tokens</c> value.
    /// </summary>
    /// <param name="path">An existing database made by <see cref="Create"/>.</param>
    /// <param name="fraction">Share of rows to change, from 0 to 1 (0.01 is 1%).</param>
    /// <param name="seed">Seed for the row choice and the new contents.</param>
    /// <returns>The rows updated; none inserted.</returns>
    /// <remarks>
    /// Rows with ids up to <see cref="ClinicalDatabaseOptions.MaxMarkers"/> are never chosen, so
    /// planted markers survive.
    /// </remarks>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static ChangeSummary ApplyRandomUpdates(string path, double fraction, int seed)
    {
        ValidateChange(path, fraction);
        using var connection = OpenForChanges(path);
        var text = new SyntheticText(new Random(seed));

        const long reserved = ClinicalDatabaseOptions.MaxMarkers;
        var moodSpan = Math.Max(0, QueryInt64(connection, "SELECT max(id) FROM mood_logs") - reserved);
        var chatSpan = Math.Max(0, QueryInt64(connection, "SELECT max(id) FROM chat_history") - reserved);
        var wanted = (long)Math.Round(fraction * RowCount(connection));
        var chosen = new HashSet<long>();
        var updated = 0L;

        using var mood = new TextColumnRewriter(connection, "mood_logs", "notes", "mood");
        using var chat = new TextColumnRewriter(connection, "chat_history", "message", "tokens");
        Execute(connection, "BEGIN IMMEDIATE");
        while (updated < wanted && chosen.Count < moodSpan + chatSpan)
        {
            // One draw over both id ranges makes every eligible row equally likely.
            var pick = text.Random.NextInt64(moodSpan + chatSpan);
            if (!chosen.Add(pick))
            {
                continue;
            }

            var changed = pick < moodSpan
                ? mood.Rewrite(reserved + 1 + pick, text.Paragraph, _ => text.Random.Next(1, 11))
                : chat.Rewrite(reserved + 1 + pick - moodSpan, text.Paragraph, t => t.Length / 4);
            updated += changed ? 1 : 0;
        }

        Execute(connection, "COMMIT");
        return new ChangeSummary(updated, 0);
    }

    /// <summary>
    /// Appends new rows to <c>mood_logs</c> and <c>chat_history</c>, each table growing by
    /// <paramref name="fraction"/> of its current row count, with times after the newest row.
    /// </summary>
    /// <param name="path">An existing database made by <see cref="Create"/>.</param>
    /// <param name="fraction">Growth per table, from 0 to 1 (0.01 adds 1%).</param>
    /// <param name="seed">Seed for the new contents.</param>
    /// <returns>The rows inserted; none updated.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static ChangeSummary ApplyAppends(string path, double fraction, int seed)
    {
        ValidateChange(path, fraction);
        using var connection = OpenForChanges(path);
        var text = new SyntheticText(new Random(seed));

        var moodLogs = (long)Math.Round(fraction * QueryInt64(connection, "SELECT count(*) FROM mood_logs"));
        var chatMessages =
            (long)Math.Round(fraction * QueryInt64(connection, "SELECT count(*) FROM chat_history"));
        var users = Math.Max(1, QueryInt64(connection, "SELECT count(*) FROM users"));

        // A minute between users on average, continuing from the newest row.
        using var writer = new ActivityWriter(connection, text, users, NewestTime(connection), 60, []);
        Execute(connection, "BEGIN IMMEDIATE");
        writer.WriteActivity(moodLogs, chatMessages);
        Execute(connection, "COMMIT");
        return new ChangeSummary(0, moodLogs + chatMessages);
    }

    private static void ValidateChange(string path, double fraction)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!(fraction >= 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction must be from 0 to 1.");
        }
    }

    private static SqliteConnection OpenForChanges(string path)
    {
        var connection = OpenExisting(path);

        // Wait out a concurrent writer or backup instead of failing at once, and give random
        // updates a cache big enough that dirty pages are not spilled before the commit.
        Execute(connection, "PRAGMA busy_timeout = 5000");
        Execute(connection, "PRAGMA cache_size = -65536");
        return connection;
    }

    private static long RowCount(SqliteConnection connection) =>
        QueryInt64(connection, "SELECT (SELECT count(*) FROM mood_logs) + (SELECT count(*) FROM chat_history)");

    private static DateTime NewestTime(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT max(t) FROM (SELECT max(created_at) AS t FROM mood_logs UNION ALL " +
            "SELECT max(created_at) FROM chat_history)";
        return command.ExecuteScalar() is string newest ? Timestamps.Parse(newest) : Timestamps.Epoch;
    }
}
