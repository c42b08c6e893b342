using Microsoft.Data.Sqlite;
using static Haven.Synthetic.SqliteConnections;

namespace Haven.Synthetic;

/// <summary>
/// Writes a stream of small transactions whose invariant a consistent backup must keep:
/// <c>ledger_a</c> and <c>ledger_b</c> always hold exactly the same ids 1..k. A backup that
/// copies pages from different moments breaks it, which <see cref="Inspect"/> detects.
/// </summary>
/// <remarks>
/// Each transaction also rewrites one random <c>mood_logs</c> note (when the table exists), so
/// commits touch pages across the whole file, not only the ledger's last pages.
/// </remarks>
public sealed class LedgerWriter
{
    private const string LedgerDdl = """
        CREATE TABLE IF NOT EXISTS ledger_a (id INTEGER PRIMARY KEY, note TEXT, created_at TEXT);
        CREATE TABLE IF NOT EXISTS ledger_b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL, note TEXT);
        """;

    /// <summary>Seed for the choice of <c>mood_logs</c> rows and the notes written. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Clock for <c>ledger_a.created_at</c>. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Called after each commit with the number of transactions committed so far by this run,
    /// on the thread running <see cref="Run"/>. Default none.
    /// </summary>
    public Action<long>? Committed { get; init; }

    /// <summary>Creates <c>ledger_a</c> and <c>ledger_b</c> in <paramref name="path"/> if missing.</summary>
    /// <param name="path">An existing SQLite database.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static void Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var connection = OpenExisting(path);
        Execute(connection, "PRAGMA busy_timeout = 5000");
        Execute(connection, LedgerDdl);
    }

    /// <summary>
    /// Commits transactions as fast as it can until <paramref name="cancellationToken"/> is
    /// cancelled. Transaction n inserts row n into <c>ledger_a</c> and row n (with
    /// <c>a_id = n</c>) into <c>ledger_b</c>, continuing after any rows already there.
    /// </summary>
    /// <param name="path">A database prepared with <see cref="Prepare"/>.</param>
    /// <param name="cancellationToken">Stops the run after the current transaction.</param>
    /// <returns>The number of transactions committed by this run.</returns>
    /// <exception cref="SqliteException">The database stayed locked for more than 5 seconds.</exception>
    public long Run(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var connection = OpenExisting(path);

        // Wait out a backup's lock rather than fail at once. NORMAL is how WAL apps usually run,
        // and skipping the fsync per commit lets the writer commit more often.
        Execute(connection, "PRAGMA busy_timeout = 5000");
        Execute(connection, "PRAGMA synchronous = NORMAL");
        var text = new SyntheticText(new Random(Seed));
        var next = QueryInt64(connection, "SELECT coalesce(max(id), 0) FROM ledger_a") + 1;
        var moodRows = TableExists(connection, "mood_logs")
            ? QueryInt64(connection, "SELECT coalesce(max(id), 0) FROM mood_logs")
            : 0;

        using var insertA = new PreparedInsert(connection, "ledger_a", "id", "note", "created_at");
        using var insertB = new PreparedInsert(connection, "ledger_b", "id", "a_id", "note");
        using var notes = moodRows > ClinicalDatabaseOptions.MaxMarkers
            ? new TextColumnRewriter(connection, "mood_logs", "notes", "mood")
            : null;
        var committed = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            // IMMEDIATE takes the write lock up front, where busy_timeout waits for it; a
            // deferred transaction upgrading its lock mid-way can fail at once instead.
            Execute(connection, "BEGIN IMMEDIATE");
            var now = Timestamps.ToText(Clock.GetUtcNow().UtcDateTime);
            insertA.Execute(next, $"entry {next}", now);
            insertB.Execute(next, next, $"mirror of entry {next}");
            notes?.Rewrite(PickMoodRow(text.Random, moodRows), text.Paragraph, _ => text.Random.Next(1, 11));
            Execute(connection, "COMMIT");

            next++;
            committed++;
            Committed?.Invoke(committed);
        }

        return committed;
    }

    /// <summary>
    /// Opens <paramref name="path"/> read-only and checks the ledger invariant.
    /// </summary>
    /// <param name="path">A database, typically one restored from a backup.</param>
    /// <returns>
    /// Row counts of <c>ledger_a</c> and <c>ledger_b</c>, and whether both hold exactly ids 1..k
    /// for the same k with every <c>a_id</c> equal to its id. Missing tables give (0, 0, false).
    /// </returns>
    /// <remarks>
    /// On a WAL database SQLite may leave empty <c>-wal</c> and <c>-shm</c> files behind, as it
    /// does for any read-only connection.
    /// </remarks>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static (long A, long B, bool Consistent) Inspect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No database at '{path}' to inspect.", path);
        }

        using var connection = Open(path, SqliteOpenMode.ReadOnly);
        if (!TableExists(connection, "ledger_a") || !TableExists(connection, "ledger_b"))
        {
            return (0, 0, false);
        }

        // One read transaction, so both tables are seen at the same moment.
        Execute(connection, "BEGIN");
        var (countA, idsA) = CountIds(connection, "ledger_a");
        var (countB, idsB) = CountIds(connection, "ledger_b");
        var mismatched = QueryInt64(connection, "SELECT count(*) FROM ledger_b WHERE a_id <> id");
        Execute(connection, "COMMIT");
        return (countA, countB, idsA && idsB && countA == countB && mismatched == 0);
    }

    /// <summary>Row count, and whether the ids are exactly 1..count.</summary>
    private static (long Count, bool Dense) CountIds(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), coalesce(min(id), 1), coalesce(max(id), 0) FROM {table}";
        using var reader = command.ExecuteReader();
        reader.Read();
        var count = reader.GetInt64(0);

        // Ids are a primary key, so distinct: count rows from 1 to count means exactly 1..count.
        return (count, reader.GetInt64(1) == 1 && reader.GetInt64(2) == count);
    }

    /// <summary>Any row but the marker rows, which random changes leave alone.</summary>
    private static long PickMoodRow(Random random, long maxId) =>
        random.NextInt64(ClinicalDatabaseOptions.MaxMarkers + 1, maxId + 1);
}
