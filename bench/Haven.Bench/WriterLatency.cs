using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Haven.Bench;

/// <summary>Commit latency of a writer with no backup running, and while Haven backs the database up.</summary>
internal sealed record LatencyResult(
    double BaselineP50Ms,
    double BaselineP99Ms,
    long BaselineCommits,
    double DuringP50Ms,
    double DuringP99Ms,
    long DuringCommits,
    double BackupSeconds);

internal static class WriterLatency
{
    public static LatencyResult Measure(string database, Tool haven, Options options)
    {
        var baseline = Commits(database, TimeSpan.FromSeconds(5), null);
        haven.Init();
        var backup = Process.Start(new ProcessStartInfo("sh", ["-c", haven.BackupCommand(database, 1)])
        {
            UseShellExecute = false,
            Environment =
            {
                ["HAVEN_REPOSITORY"] = haven.Environment["HAVEN_REPOSITORY"],
                ["HAVEN_KEY_FILE"] = haven.Environment["HAVEN_KEY_FILE"]
            },
        })!;
        var clock = Stopwatch.StartNew();
        var during = Commits(database, TimeSpan.FromMinutes(10), backup);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine(
            $"writer latency: p99 {P(baseline, 0.99):F2} ms alone, " +
            $"{P(during, 0.99):F2} ms during a {seconds:F1} s backup");
        return new LatencyResult(
            P(baseline, 0.5),
            P(baseline, 0.99),
            baseline.Count,
            P(during, 0.5),
            P(during, 0.99),
            during.Count,
            seconds);
    }

    private static List<double> Commits(string database, TimeSpan limit, Process? until)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;";
            setup.ExecuteNonQuery();
        }

        long rows;
        using (var count = connection.CreateCommand())
        {
            count.CommandText = "SELECT max(id) FROM mood_logs";
            rows = (long)count.ExecuteScalar()!;
        }

        var random = new Random(7);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        using var update = connection.CreateCommand();
        update.CommandText = "BEGIN IMMEDIATE; UPDATE mood_logs SET mood = $mood WHERE id = $id; COMMIT;";
        var mood = update.Parameters.Add("$mood", SqliteType.Integer);
        var id = update.Parameters.Add("$id", SqliteType.Integer);
        while (clock.Elapsed < limit && (until is null || !until.HasExited))
        {
            mood.Value = random.Next(1, 11);
            id.Value = random.NextInt64(1, rows + 1);
            long start = Stopwatch.GetTimestamp();
            update.ExecuteNonQuery();
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        until?.WaitForExit();
        return latencies;
    }

    private static double P(List<double> values, double quantile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(quantile * sorted.Count))];
    }
}
