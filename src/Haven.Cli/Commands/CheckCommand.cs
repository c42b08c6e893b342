using System.CommandLine;
using Haven.Core;
using Haven.Core.Check;

namespace Haven.Cli.Commands;

/// <summary><c>haven check [--read-data]</c>: finds and names damage.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var readData = new Option<bool>("--read-data") { Description = "Decrypt and verify every byte of every pack." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command(
            "check",
            "Check the repository's structure (and with --read-data, every byte); exit 3 on damage.")
        {
            readData,
            json
        };
        command.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            using var repositoryLock = repository.Lock("check");
            CheckReport report;
            using (var progress = context.Progress("check"))
            {
                report = RepositoryChecker.Run(repository, context.Parse.GetValue(readData), progress);
            }

            int code = report.Healthy ? ExitCodes.Ok : ExitCodes.Integrity;
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(new
                {
                    healthy = report.Healthy,
                    readData = report.ReadData,
                    snapshots = report.Snapshots,
                    packs = report.Packs,
                    chunks = report.Chunks,
                    bytesVerified = report.BytesVerified,
                    problems = report.Problems,
                    damagedSnapshots = report.DamagedSnapshots,
                    notes = report.Notes,
                });
                return code;
            }

            foreach (var problem in report.Problems)
            {
                context.Out.WriteLine($"DAMAGED {problem.ObjectName}: {problem.Message}");
            }

            foreach (var (id, reason) in report.DamagedSnapshots)
            {
                context.Out.WriteLine($"SNAPSHOT {id} cannot be restored: {reason}");
            }

            foreach (string note in report.Notes)
            {
                context.Out.WriteLine($"note: {note}");
            }

            if (report.Problems.Any(p => p.ObjectName.StartsWith("index/", StringComparison.Ordinal))
                || report.Notes.Count > 0)
            {
                context.Out.WriteLine(
                    "The index can be rebuilt from the packs' own headers: run 'haven rebuild-index'.");
            }

            string depth = report.ReadData
                ? $"read and verified {Format.Bytes(report.BytesVerified)}"
                : "structure only (add --read-data to verify every byte)";
            context.Out.WriteLine(report.Healthy
                ? $"No damage: {report.Snapshots} snapshots, {report.Packs} packs, {report.Chunks} chunks; {depth}."
                : $"Damage found: {report.Problems.Count} damaged objects, " +
                    $"{report.DamagedSnapshots.Count} snapshots affected.");
            return code;
        }));
        return command;
    }
}
