using System.CommandLine;
using Haven.Core;

namespace Haven.Cli.Commands;

/// <summary><c>haven snapshots</c>: lists snapshots, oldest first.</summary>
internal static class SnapshotsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var source = new Option<string?>("--source") { Description = "Only snapshots of this source (file name or full path)." };
        var command = new Command("snapshots", "List snapshots, oldest first.") { json, source };
        command.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            string? only = context.Parse.GetValue(source);
            var snapshots = repository.Snapshots()
                .Where(m => only is null || m.Source.Name == only || m.Source.Path == only)
                .Select(SnapshotView.From)
                .ToList();
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(snapshots);
                return ExitCodes.Ok;
            }

            context.Out.WriteLine($"{"ID",-12} {"TIME (UTC)",-20} {"SOURCE",-24} {"TRIGGER",-18} {"SIZE",10} {"ADDED",10}  REASON");
            foreach (var s in snapshots)
            {
                context.Out.WriteLine($"{s.Id[..12]} {Format.Time(s.Time),-20} {s.Source,-24} {s.Trigger,-18} {Format.Bytes(s.Size),10} {Format.Bytes(s.AddedBytes),10}  {s.Reason}");
            }

            context.Out.WriteLine($"{snapshots.Count} snapshots");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
