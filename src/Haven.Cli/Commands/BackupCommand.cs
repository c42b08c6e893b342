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
                CancellationToken = context.Cancellation,
            });
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(SnapshotView.From(manifest));
                return ExitCodes.Ok;
            }

            context.Out.WriteLine(
                $"Snapshot of {manifest.Source.Path}: {manifest.Sqlite!.PageCount} pages of " +
                $"{manifest.Sqlite.PageSize} bytes, {manifest.Sqlite.Tables.Values.Sum()} rows in " +
                $"{Format.Count(manifest.Sqlite.Tables.Count, "table")}");
            context.Out.WriteLine(
                $"Added {Format.Bytes(manifest.Stats.AddedBytes)} ({manifest.Stats.NewChunks} new chunks, " +
                $"page-map nodes included) in " +
                $"{manifest.Stats.DurationSeconds:F1} s; content SHA-256 {manifest.Content.Sha256}");
            context.Out.WriteLine(manifest.Id);
            return ExitCodes.Ok;
        }));

        var backup = new Command("backup", "Take a snapshot of a source.");
        backup.Subcommands.Add(sqlite);
        backup.Subcommands.Add(Postgres(reason, tags, trigger, json));
        return backup;
    }

    /// <summary><c>haven backup postgres</c>: pg_dump on an exported snapshot, chunked by content.</summary>
    private static Command Postgres(
        Option<string?> reason,
        Option<string[]> tags,
        Option<string> trigger,
        Option<bool> json)
    {
        var connection = new Option<string?>("--connection")
        {
            Description = "Npgsql connection string or postgres://user@host:port/database URL " +
                "(default: HAVEN_PG_CONNECTION). Prefer PGPASSWORD or ~/.pgpass to a password in it."
        };
        var globals = new Option<bool>("--globals")
        {
            Description = "Also store the cluster's roles and tablespaces (pg_dumpall --globals-only)."
        };
        var command = new Command(
            "postgres",
            "Back up a PostgreSQL database while it is in use; prints the snapshot id last.")
        {
            connection, globals, PgBin, reason, tags, trigger, json,
        };
        command.SetAction(HavenCli.Action(context =>
        {
            var (text, origin) = PostgresConnection(context, connection, "--connection");
            using var repository = context.OpenRepository();
            using var progress = context.Progress("backup");
            var manifest = PostgresBackup.Run(
                repository,
                new PostgresBackupOptions
                {
                    Connection = text,
                    ConnectionOrigin = origin,
                    Globals = context.Parse.GetValue(globals),
                    ToolDirectory = context.Parse.GetValue(PgBin),
                },
                new BackupRequest
                {
                    Trigger = context.Parse.GetValue(trigger)!,
                    Reason = context.Parse.GetValue(reason),
                    Tags = context.Parse.GetValue(tags) ?? [],
                    Progress = progress,
                    CancellationToken = context.Cancellation,
                });
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(SnapshotView.From(manifest));
                return ExitCodes.Ok;
            }

            var facts = manifest.Postgres!;
            context.Out.WriteLine(
                $"Snapshot of {manifest.Source.Path} (PostgreSQL {facts.ServerVersion}, " +
                $"pg_dump {facts.DumpToolVersion}, " +
                $"{facts.Encoding}): {facts.Tables.Values.Sum()} rows in {Format.Count(facts.Tables.Count, "table")}, " +
                $"{Format.Count(facts.LargeObjects, "large object")}" +
                (facts.Globals is null ? ""
                    : facts.Globals.WithPasswords ? ", roles with passwords"
                    : ", roles without passwords"));
            context.Out.WriteLine(
                $"Dump of {Format.Bytes(manifest.Content.Size)} in {manifest.Content.Blocks} chunks; added " +
                $"{Format.Bytes(manifest.Stats.AddedBytes)} ({manifest.Stats.NewChunks} new chunks, " +
                $"page-map nodes included) in " +
                $"{manifest.Stats.DurationSeconds:F1} s");
            if (facts.Globals is { WithPasswords: false })
            {
                context.Error.WriteLine(
                    "haven: note: roles were saved without their passwords (only a superuser may read them); " +
                    "roles created by a restore will need new passwords.");
            }

            context.Out.WriteLine(manifest.Id);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Folder of PostgreSQL's programs, shared by backup, restore and drill.</summary>
    internal static readonly Option<string?> PgBin = new("--pg-bin")
    {
        Description = "Folder holding pg_dump, pg_dumpall and pg_restore (default: the server's version under " +
            "/usr/lib/postgresql, else PATH)."
    };

    /// <summary>The connection from an option, else HAVEN_PG_CONNECTION, with where it came from.</summary>
    internal static (string Text, string Origin) PostgresConnection(
        CliContext context,
        Option<string?> option,
        string name)
    {
        if (context.Parse.GetValue(option) is { } text)
        {
            return (text, name);
        }

        return Environment.GetEnvironmentVariable("HAVEN_PG_CONNECTION") is { Length: > 0 } variable
            ? (variable, "HAVEN_PG_CONNECTION")
            : throw new UsageException(
                $"No PostgreSQL database given.",
                $"Pass {name} \"Host=...;Username=...;Database=...\" (or a postgres:// URL), or set " +
                "HAVEN_PG_CONNECTION.");
    }
}
