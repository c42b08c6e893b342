using Microsoft.Data.Sqlite;
using static Haven.Synthetic.SqliteConnections;

namespace Haven.Synthetic;

/// <summary>
/// Creates and changes synthetic copies of the host application's clinical SQLite database, for
/// tests, benchmarks and the demo. No real person's data is involved.
/// </summary>
/// <remarks>
/// Every connection is opened with <c>Pooling=False</c>, so the file is closed when a method
/// returns. Content depends only on the seed: the same options give the same rows.
/// </remarks>
public static partial class ClinicalDatabaseGenerator
{
    /// <summary>Average bytes one check-in (a mood log and its chat session) adds to the file.</summary>
    private const int BytesPerCheckIn = 2100;

    /// <summary>Check-ins between two size checks: bounds the overshoot past the target to ~70 KB.</summary>
    private const int CheckInsPerSizeCheck = 32;

    /// <summary>Size checks per transaction: about 17 MB of rows per commit.</summary>
    private const int SizeChecksPerCommit = 256;

    private static readonly TimeSpan HistorySpan = TimeSpan.FromDays(730);

    /// <summary>
    /// Creates a new database at <paramref name="path"/> with the host app's tables and fills it
    /// with synthetic rows until the file reaches about <see cref="ClinicalDatabaseOptions.TargetBytes"/>.
    /// </summary>
    /// <param name="path">Where to create the database; must not exist.</param>
    /// <param name="options">Size, seed, journal mode, page size and markers.</param>
    /// <exception cref="IOException">The file already exists.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <remarks>On failure the partly written file is deleted.</remarks>
    public static void Create(string path, ClinicalDatabaseOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CreateEmptyFile(path);
        try
        {
            using (var connection = Open(path, SqliteOpenMode.ReadWrite))
            {
                Populate(connection, options);
            }

            FlushToDisk(path);
        }
        catch
        {
            DeleteDatabaseFiles(path);
            throw;
        }
    }

    private static void CreateEmptyFile(string path)
    {
        // CreateNew makes the existence check and the creation one step, so two callers racing
        // for the same path cannot both believe they own it. SQLite treats an empty file as new.
        try
        {
            new FileStream(path, FileMode.CreateNew, FileAccess.Write).Dispose();
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new IOException($"Cannot create a synthetic database at '{path}': the file already exists. " +
                "Delete it or choose another path.", ex);
        }
    }

    private static void Populate(SqliteConnection connection, ClinicalDatabaseOptions options)
    {
        // No journal and no fsync while loading: a crash only loses a test fixture, and it
        // makes a 1 GiB load several times faster. The real modes are set at the end.
        Execute(connection, $"PRAGMA page_size = {options.PageSize}");
        Execute(connection, "PRAGMA journal_mode = OFF");
        Execute(connection, "PRAGMA synchronous = OFF");
        Execute(connection, "PRAGMA cache_size = -65536");
        Execute(connection, "PRAGMA temp_store = MEMORY");

        var text = new SyntheticText(new Random(options.Seed));
        var users = Math.Clamp(options.TargetBytes / (256 * 1024), 4, 5000);
        Execute(connection, "BEGIN");
        Execute(connection, ClinicalSchema.Ddl);
        new ProfileSeeder(connection, text, users).SeedAll();
        Execute(connection, "COMMIT");

        FillActivity(connection, options, text, users);

        Execute(connection, $"PRAGMA journal_mode = {(options.Wal ? "WAL" : "DELETE")}");
        Execute(connection, "PRAGMA synchronous = NORMAL");
    }

    private static void FillActivity(SqliteConnection connection, ClinicalDatabaseOptions options,
        SyntheticText text, long users)
    {
        // Spread the expected check-ins over two years, so timestamps look alike at any size.
        var expectedCheckIns = Math.Max(1, options.TargetBytes / BytesPerCheckIn);
        var stepSeconds = (int)Math.Clamp(HistorySpan.TotalSeconds / expectedCheckIns, 1, 86_400);
        using var writer = new ActivityWriter(connection, text, users, Timestamps.Epoch, stepSeconds,
            options.Markers);

        var sizeChecks = 0L;
        Execute(connection, "BEGIN");
        do
        {
            for (var i = 0; i < CheckInsPerSizeCheck; i++)
            {
                writer.WriteCheckIn();
            }

            if (++sizeChecks % SizeChecksPerCommit == 0)
            {
                Execute(connection, "COMMIT");
                Execute(connection, "BEGIN");
            }
        }
        while (writer.MarkersPending || DatabaseBytes(connection) < options.TargetBytes);

        Execute(connection, "COMMIT");
    }

    /// <summary>Size of the database as SQLite sees it, including pages not yet flushed.</summary>
    private static long DatabaseBytes(SqliteConnection connection) =>
        QueryInt64(connection, "PRAGMA page_count") * QueryInt64(connection, "PRAGMA page_size");

    /// <summary>
    /// The load ran with <c>synchronous=OFF</c>, so the file may sit in the OS cache. Flushing it
    /// now keeps the cost out of whatever fsyncs next, such as a backup being timed.
    /// </summary>
    private static void FlushToDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    private static void DeleteDatabaseFiles(string path)
    {
        foreach (var suffix in new[] { "", "-journal", "-wal", "-shm" })
        {
            File.Delete(path + suffix);
        }
    }
}
