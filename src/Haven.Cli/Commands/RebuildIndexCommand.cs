using System.CommandLine;
using Haven.Core;

namespace Haven.Cli.Commands;

/// <summary><c>haven rebuild-index</c>: rebuilds the index from the packs' authenticated headers.</summary>
internal static class RebuildIndexCommand
{
    public static Command Create()
    {
        var command = new Command(
            "rebuild-index",
            "Rebuild the index from the packs themselves (after an index file was damaged or lost).");
        command.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            using var repositoryLock = repository.Lock("rebuild-index");
            var (packs, chunks, damaged) = repository.RebuildIndex();
            foreach (string pack in damaged)
            {
                context.Out.WriteLine($"DAMAGED pack left out of the index: {pack}");
            }

            context.Out.WriteLine(
                $"Rebuilt the index: {packs} packs, {chunks} chunks. Run 'haven " +
                $"check' to see which snapshots are complete.");
            return damaged.Count == 0 ? ExitCodes.Ok : ExitCodes.Integrity;
        }));
        return command;
    }
}
