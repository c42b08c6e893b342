using System.CommandLine;
using System.Text;
using Haven.Core;

namespace Haven.Cli.Commands;

/// <summary><c>haven snapshots</c>: lists snapshots, oldest first; a damaged manifest is named, not fatal.</summary>
internal static class SnapshotsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var source = new Option<string?>("--source")
        {
            Description = "Only snapshots of this source (full path or file name)."
        };
        var command = new Command("snapshots", "List snapshots, oldest first; exit 3 if any manifest is damaged.")
        {
            json,
            source
        };
        command.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            string? only = context.Parse.GetValue(source);
            string? onlyPath = only is null ? null : Path.GetFullPath(only);
            var (manifests, damaged) = repository.ReadAllSnapshots();
            var snapshots = manifests
                .Where(m => only is null || m.Source.Name == only || m.Source.Path == onlyPath)
                .Select(SnapshotView.From)
                .ToList();
            foreach (var failure in damaged)
            {
                context.Error.WriteLine($"Error: {failure.Message}");
            }

            if (context.Parse.GetValue(json))
            {
                context.WriteJson(snapshots);
            }
            else
            {
                PrintTable(context.Out, snapshots);
            }

            return damaged.Count == 0 ? ExitCodes.Ok : ExitCodes.Integrity;
        }));
        return command;
    }

    private static void PrintTable(TextWriter output, List<SnapshotView> snapshots)
    {
        output.WriteLine(
            $"{"ID",-12} {"TIME (UTC)",-20} {"TRIGGER",-18} {"SIZE",10} {"ADDED",10}  SOURCE  [TAGS]  REASON");
        foreach (var s in snapshots)
        {
            string tags = s.Tags.Count == 0 ? "" : $"  [{Printable(string.Join(", ", s.Tags))}]";
            output.WriteLine(
                $"{s.Id[..12]} {Format.Time(s.Time),-20} {s.Trigger,-18} {Format.Bytes(s.Size),10} " +
                $"{Format.Bytes(s.AddedBytes),10}  {s.SourcePath}{tags}  {Printable(s.Reason ?? "")}");
        }

        output.WriteLine(Format.Count(snapshots.Count, "snapshot"));
    }

    /// <summary>
    /// Operator text with control characters shown as '?', so it cannot break the table or the terminal.
    /// </summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }
}
