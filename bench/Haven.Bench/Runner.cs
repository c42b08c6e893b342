using System.Globalization;

namespace Haven.Bench;

/// <summary>Times every tool on one case, in the given order.</summary>
internal static class Runner
{
    public static IEnumerable<Measurement> Case(
        string name,
        int sequence,
        int run,
        List<Tool> order,
        string database)
    {
        foreach (var tool in order)
        {
            long before = tool.RepositoryBytes();
            var (seconds, rss) = Shell.Timed(tool.BackupCommand(database, sequence), tool.Environment);
            long added = tool.RepositoryBytes() - before;
            Console.Error.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"run {run + 1} {name} {tool.Name}: {seconds:F2} s, " +
                    $"+{added / 1048576.0:F1} MiB, {rss / 1024} MiB RSS"));
            yield return new Measurement(tool.Name, name, run, seconds, added, rss);
        }
    }
}
