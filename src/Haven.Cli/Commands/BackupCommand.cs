using System.CommandLine;
using Haven.Core;
using Haven.Core.Backup;

namespace Haven.Cli.Commands;

/// <summary><c>haven backup sqlite PATH</c>: a consistent snapshot of a live SQLite database.</summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "The SQLite database file." };
        var reason = new Option<string?>("--reason")
        {
            Description = "Why this snapshot is taken (recorded in the manifest)."
        };
        var tags = new Option<string[]>("--tag")
        {
            Description = "A label for the snapshot; repeat for several.",
            AllowMultipleArgumentsPerToken = false
        };
        var trigger = new Option<string>("--trigger")
        {
            Description = "Why: manual, launch, critical-operation, schedule.",
            DefaultValueFactory = _ => Triggers.Manual
        };
        trigger.AcceptOnlyFromAmong(Triggers.Manual, Triggers.Launch, Triggers.CriticalOperation, Triggers.Schedule);
        var json = new Option<bool>("--json") { Description = "Print the snapshot as JSON." };
        var noCheck = new Option<bool>("--no-check-source")
        {
            Description = "Skip PRAGMA quick_check of the source (faster; corruption is then found at restore)."
        };

        var sqlite = new Command(
            "sqlite",
            "Back up a SQLite database while it is in use; prints the snapshot id last.");
        sqlite.Arguments.Add(path);
        foreach (var option in new Option[] { reason, tags, trigger, json, noCheck })
        {
            sqlite.Options.Add(option);
        }

        sqlite.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            using var progress = context.Progress("backup");
            var manifest = SqliteBackup.Run(repository, context.Parse.GetValue(path)!, new BackupRequest
            {
                Trigger = context.Parse.GetValue(trigger)!,
                Reason = context.Parse.GetValue(reason),
                Tags = context.Parse.GetValue(tags) ?? [],
                CheckSource = !context.Parse.GetValue(noCheck),
                Progress = progress,
            });
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(SnapshotView.From(manifest));
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(
                $"Snapshot of {manifest.Source.Path}: {manifest.Sqlite!.PageCount} pages of " +
                $"{manifest.Sqlite.PageSize} bytes, {manifest.Sqlite.Tables.Values.Sum()} rows in " +
                $"{manifest.Sqlite.Tables.Count} tables");
            context.Out.WriteLine(
                $"Added {Format.Bytes(manifest.Stats.AddedBytes)} ({manifest.Stats.NewChunks} new chunks) in " +
                $"{manifest.Stats.DurationSeconds:F1} s; content SHA-256 {manifest.Content.Sha256}");
            context.Out.WriteLine(manifest.Id);
            return ExitCodes.Ok;
        }));

        var backup = new Command("backup", "Take a snapshot of a source.");
        backup.Subcommands.Add(sqlite);
        return backup;
    }
}
