using System.CommandLine;
using Haven.Core;
using Haven.Core.Drill;
using Haven.Core.Snapshots;

namespace Haven.Cli.Commands;

/// <summary><c>haven drill</c>: restores into a private scratch folder, verifies, times, records.</summary>
internal static class DrillCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("SNAPSHOT")
        {
            Description = "Snapshot id, prefix, or 'latest' (default).",
            DefaultValueFactory = _ => "latest"
        };
        var source = new Option<string?>("--source")
        {
            Description = "With 'latest': the source (full path, or file name if unique)."
        };
        var all = new Option<bool>("--all") { Description = "Drill the latest snapshot of every source." };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "PostgreSQL server for drills of PostgreSQL snapshots (a scratch database is created there " +
                "and dropped); default: drill.postgres in haven.json, else HAVEN_PG_CONNECTION."
        };
        var command = new Command(
            "drill",
            "Restore a snapshot into a scratch folder, verify it completely, measure the " +
            "recovery time, and record the result; exit 3 if any check fails.")
        {
            snapshot, source, all, json, postgres, BackupCommand.PgBin,
        };
        command.SetAction(HavenCli.Action(context =>
        {
            var settings = SettingsFile.Load(context);
            var drill = settings.Drill with
            {
                Postgres = context.Parse.GetValue(postgres) ?? settings.Drill.Postgres
                    ?? Environment.GetEnvironmentVariable("HAVEN_PG_CONNECTION"),
                PostgresTools = context.Parse.GetValue(BackupCommand.PgBin) ?? settings.Drill.PostgresTools,
            };
            using var repository = context.OpenRepository();
            var targets = context.Parse.GetValue(all)
                ? LatestOfEverySource(repository)
                : [repository.ResolveSnapshot(context.Parse.GetValue(snapshot)!, context.Parse.GetValue(source))];
            if (drill.Postgres is null && targets.FirstOrDefault(m => m.Postgres is not null) is { } pg)
            {
                throw new UsageException(
                    $"Snapshot {pg.Id[..12]} is of a PostgreSQL database, and no server is given to drill it on.",
                    "Pass --postgres CONNECTION, set drill.postgres in haven.json, or set HAVEN_PG_CONNECTION.");
            }

            var results = targets.Select(m => DrillRunner.Run(repository, m, drill)).ToList();
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(results);
            }
            else
            {
                foreach (var result in results)
                {
                    Print(context.Out, result);
                }
            }

            return results.All(r => r.Passed) ? ExitCodes.Ok : ExitCodes.Integrity;
        }));
        return command;
    }

    private static List<Manifest> LatestOfEverySource(Haven.Core.Repository.LocalRepository repository)
    {
        var sources = repository.Snapshots()
            .Where(m => m.Trigger != Haven.Core.Backup.Triggers.PreRestore)
            .Select(m => m.Source.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return sources.Count == 0
            ? throw new UsageException(
                "The repository holds no snapshots to drill.",
                "Take one with 'haven backup sqlite PATH'.")
            : [.. sources.Select(path => repository.ResolveSnapshot("latest", source: path))];
    }

    private static void Print(TextWriter output, DrillResult result)
    {
        string rpo = result.RpoSeconds is { } seconds
            ? $"{TimeSpan.FromSeconds(seconds):d\\.hh\\:mm\\:ss} since the previous snapshot"
            : "first snapshot of its source";
        output.WriteLine(
            $"{(result.Passed ? "PASSED" : "FAILED")} drill of snapshot {result.SnapshotId[..12]} " +
            $"({result.Source}): recovery time {result.RtoSeconds:F2} s; data-loss window {rpo}");
        foreach (string check in result.Checks)
        {
            output.WriteLine($"  ok: {check}");
        }

        foreach (string failure in result.Failures)
        {
            output.WriteLine($"  FAILED: {failure}");
        }
    }
}
