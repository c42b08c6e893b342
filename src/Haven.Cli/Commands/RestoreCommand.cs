using System.CommandLine;
using Haven.Core;
using Haven.Core.Restore;

namespace Haven.Cli.Commands;

/// <summary><c>haven restore SNAPSHOT --to PATH</c>: verified, atomic restore of a SQLite snapshot.</summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("SNAPSHOT")
        {
            Description = "Snapshot id, unique prefix of 8+ characters, or 'latest' (the newest non-pre-restore " +
                "snapshot of --source, else of the database at --to, else of the only source).",
        };
        var to = new Option<string>("--to") { Description = "Database file to create or replace.", Required = true };
        var force = new Option<bool>("--force")
        {
            Description = "Replace the database even if another process has it open."
        };
        var source = new Option<string?>("--source")
        {
            Description = "With 'latest': the source (full path, or file name if unique)."
        };
        var fullCheck = new Option<bool>("--full-check")
        {
            Description = "Run SQLite's full PRAGMA integrity_check on the restored copy (also compares every " +
                "index with its table; several times slower) instead of quick_check.",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var allowDamagedAudit = new Option<bool>("--allow-damaged-audit")
        {
            Description = "Restore even though the audit log fails verification (the data is verified regardless)."
        };
        var command = new Command(
            "restore",
            "Restore a SQLite snapshot: verified before it touches anything, atomic, " +
            "with a pre-restore snapshot of what it replaces.")
        {
            snapshot, to, force, source, fullCheck, json, allowDamagedAudit,
        };
        command.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            var manifest = repository.ResolveSnapshot(
                context.Parse.GetValue(snapshot)!,
                context.Parse.GetValue(source),
                context.Parse.GetValue(to));
            using var progress = context.Progress("restore");
            var result = SqliteRestore.Run(repository, manifest, context.Parse.GetValue(to)!, new RestoreRequest
            {
                Force = context.Parse.GetValue(force),
                AllowDamagedAudit = context.Parse.GetValue(allowDamagedAudit),
                FullIntegrityCheck = context.Parse.GetValue(fullCheck),
                Progress = progress,
            });
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(new
                {
                    snapshot = result.Snapshot.Id,
                    target = result.Target,
                    preRestoreSnapshot = result.PreRestore?.Id,
                    checks = result.Checks,
                    seconds = result.Seconds,
                });
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(
                $"Restored snapshot {result.Snapshot.Id} " +
                $"({Format.Time(result.Snapshot.Time)}) to {result.Target} in {result.Seconds:F1} s");
            foreach (string check in result.Checks)
            {
                context.Out.WriteLine($"  verified: {check}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
