using System.CommandLine;
using System.Globalization;
using Haven.Core;
using Haven.Core.Audit;

namespace Haven.Cli.Commands;

/// <summary><c>haven audit</c>: lists the audit log; <c>haven audit verify</c> checks its chain.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var since = new Option<string?>("--since")
        {
            Description = "Only events at or after this UTC time (ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00:00Z)."
        };
        var type = new Option<string?>("--type") { Description = "Only events of this type (e.g. backup-completed)." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var audit = new Command("audit", "List the audit log: every operation on the repository, oldest first.")
        {
            since,
            type,
            json
        };
        audit.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            DateTime? from = ParseTime(context.Parse.GetValue(since));
            string? only = context.Parse.GetValue(type);
            var events = repository.Audit.Events()
                .Where(e => (from is null || e.Time >= from) && (only is null || e.Type == only))
                .ToList();
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(events);
                return ExitCodes.Ok;
            }

            foreach (var e in events)
            {
                string details = string.Join(
                    ' ',
                    e.Details.Where(d => d.Value.Length > 0).Select(d => $"{d.Key}={d.Value}"));
                context.Out.WriteLine(
                    $"{e.Seq,6} {Format.Time(e.Time)} {e.Type,-20} {e.User}@{e.Host} pid {e.Pid}  {details}");
            }

            context.Out.WriteLine($"{events.Count} events");
            return ExitCodes.Ok;
        }));

        var verify = new Command("verify", "Verify the audit chain: exit 0 when intact, 3 naming the first bad event.");
        verify.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            var result = AuditVerifier.Verify(repository);
            if (result.Intact)
            {
                context.Out.WriteLine(
                    $"The audit log is intact: {result.Events} events, each authenticated and chained to the " +
                    $"one before, and every snapshot's recorded position is present.");
                return ExitCodes.Ok;
            }

            context.Error.WriteLine($"Error: {result.Problem}");
            context.Error.WriteLine(
                $"Try: treat the repository as tampered with from event {result.FirstBadEvent} on; 'haven " +
                $"check --read-data' shows whether the backups themselves are intact.");
            return ExitCodes.Integrity;
        }));
        audit.Subcommands.Add(verify);
        return audit;
    }

    private static DateTime? ParseTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return DateTime.TryParse(
            text,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal,
            out var time)
            ? time
            : throw new UsageException(
                $"--since '{text}' is not a date and time.",
                "Use ISO 8601, e.g. 2026-12-01T08:00:00Z.");
    }
}
