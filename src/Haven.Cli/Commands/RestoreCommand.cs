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
        var to = new Option<string?>("--to") { Description = "SQLite database file to create or replace." };
        var toPostgres = new Option<string?>("--to-postgres")
        {
            Description = "PostgreSQL database to restore into (connection string or postgres:// URL); created if " +
                "missing. One that holds data is replaced only with --replace."
        };
        var replace = new Option<bool>("--replace")
        {
            Description = "PostgreSQL: replace a database that holds data, keeping it as NAME_pre_restore_TIME."
        };
        var noOwner = new Option<bool>("--no-owner")
        {
            Description = "PostgreSQL: give every object to the restoring role and skip grants (when roles are " +
                "missing)."
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace the database even if another process has it open (PostgreSQL: end its sessions)."
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
            "Restore a snapshot (SQLite with --to, PostgreSQL with --to-postgres): verified before it touches " +
            "anything, atomic, keeping what it replaces.")
        {
            snapshot, to, toPostgres, replace, noOwner, force, source, fullCheck, json, allowDamagedAudit,
            BackupCommand.PgBin,
        };
        command.SetAction(HavenCli.Action(context =>
        {
            if (context.Parse.GetValue(toPostgres) is { } postgres)
            {
                return context.Parse.GetValue(to) is null
                    ? RestorePostgres(
                        context, postgres, snapshot, source, json, replace, noOwner, force, allowDamagedAudit)
                    : throw new UsageException("Give either --to or --to-postgres, not both.");
            }

            if (context.Parse.GetValue(replace) || context.Parse.GetValue(noOwner))
            {
                throw new UsageException(
                    "--replace and --no-owner apply to PostgreSQL restores (--to-postgres).",
                    "A SQLite restore with --to always keeps what it replaces as a pre-restore snapshot.");
            }

            if (context.Parse.GetValue(to) is null)
            {
                throw new UsageException(
                    "No restore target given.",
                    "Pass --to PATH for a SQLite snapshot or --to-postgres CONNECTION for a PostgreSQL one.");
            }

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
                CancellationToken = context.Cancellation,
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

            return Print(context, result.Snapshot, result.Target, result.Seconds, [], result.Checks);
        }));
        return command;
    }

    private static int RestorePostgres(
        CliContext context,
        string connection,
        Argument<string> snapshot,
        Option<string?> source,
        Option<bool> json,
        Option<bool> replace,
        Option<bool> noOwner,
        Option<bool> force,
        Option<bool> allowDamagedAudit)
    {
        using var repository = context.OpenRepository();
        var manifest = repository.ResolveSnapshot(context.Parse.GetValue(snapshot)!, context.Parse.GetValue(source));
        using var progress = context.Progress("restore");
        var result = PostgresRestore.Run(repository, manifest, new PostgresRestoreOptions
        {
            Connection = connection,
            Replace = context.Parse.GetValue(replace),
            NoOwner = context.Parse.GetValue(noOwner),
            Force = context.Parse.GetValue(force),
            ToolDirectory = context.Parse.GetValue(BackupCommand.PgBin),
            AllowDamagedAudit = context.Parse.GetValue(allowDamagedAudit),
            Progress = progress,
            CancellationToken = context.Cancellation,
        });
        if (context.Parse.GetValue(json))
        {
            context.WriteJson(new
            {
                snapshot = result.Snapshot.Id,
                target = result.Target,
                preRestoreDatabase = result.PreRestoreDatabase,
                createdRoles = result.CreatedRoles,
                checks = result.Checks,
                seconds = result.Seconds,
            });
            return ExitCodes.Ok;
        }

        string[] created = result.CreatedRoles.Count == 0
            ? []
            : [$"created roles from the snapshot's globals: {string.Join(", ", result.CreatedRoles)}"];
        return Print(context, result.Snapshot, result.Target, result.Seconds, created, result.Checks);
    }

    /// <summary>The human-readable result of any restore: what went where, what it did, what it verified.</summary>
    private static int Print(
        CliContext context,
        Haven.Core.Snapshots.Manifest snapshot,
        string target,
        double seconds,
        IEnumerable<string> notes,
        IEnumerable<string> checks)
    {
        context.Out.WriteLine(
            $"Restored snapshot {snapshot.Id} ({Format.Time(snapshot.Time)}) to {target} in {seconds:F1} s");
        foreach (string note in notes)
        {
            context.Out.WriteLine($"  {note}");
        }

        foreach (string check in checks)
        {
            context.Out.WriteLine($"  verified: {check}");
        }

        return ExitCodes.Ok;
    }
}