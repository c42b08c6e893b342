// Benchmarks Haven side by side with restic, borg and a hand-made sqlite3+zstd+age pipeline on one
// generated clinical database, in one run, in alternating order. See docs/benchmarks.md.
// Usage: Haven.Bench --haven PATH/haven.dll [--size-mib 1024] [--runs 3] [--work DIR] [--out docs/benchmarks.md]
using System.Globalization;
using Haven.Bench;
using Haven.Synthetic;

var options = Options.Parse(args);
Directory.CreateDirectory(options.Work);
string baseDb = Path.Combine(options.Work, $"base-{options.SizeMiB}.db");
if (!File.Exists(baseDb))
{
    Console.Error.WriteLine($"Generating a {options.SizeMiB} MiB clinical database...");
    ClinicalDatabaseGenerator.Create(
        baseDb,
        new ClinicalDatabaseOptions { TargetBytes = options.SizeMiB * 1024L * 1024, Seed = 42 });
}

var tools = new List<Tool>
{
    new HavenTool(options.Work, options.HavenDll, checkSource: true),
    new HavenTool(options.Work, options.HavenDll, checkSource: false),
    new ResticTool(options.Work),
    new BorgTool(options.Work),
    new PipelineTool(options.Work),
};
string database = Path.Combine(options.Work, "clinic.db");
var results = new List<Measurement>();
double? floorMiB = null;
for (int run = 0; run < options.Runs; run++)
{
    var order = tools.Skip(run % tools.Count).Concat(tools.Take(run % tools.Count)).ToList();
    File.Copy(baseDb, database, overwrite: true);
    foreach (var tool in order)
    {
        tool.Init();
    }

    results.AddRange(Case("first full backup", 1, run, order, database, options));
    string before = Path.Combine(options.Work, "before-updates.db");
    if (run == 0)
    {
        File.Copy(database, before, overwrite: true);
    }

    ClinicalDatabaseGenerator.ApplyRandomUpdates(database, 0.01, seed: run + 1);
    if (run == 0)
    {
        floorMiB = Floor.ChangedPagesCompressedMiB(before, database);
        File.Delete(before);
    }

    results.AddRange(Case("after 1% random updates", 2, run, order, database, options));
    ClinicalDatabaseGenerator.ApplyAppends(database, 0.01, seed: run + 1);
    results.AddRange(Case("after 1% appended rows", 3, run, order, database, options));
    results.AddRange(Case("unchanged database", 4, run, order, database, options));
    foreach (var tool in order)
    {
        string target = Path.Combine(options.Work, "restored.db");
        File.Delete(target);
        var (seconds, rss) = Shell.Timed(tool.RestoreCommand(target, 4), tool.Environment);
        results.Add(new Measurement(tool.Name, "restore latest", run, seconds, 0, rss));
        Console.Error.WriteLine($"run {run + 1} restore latest {tool.Name}: {seconds:F2} s");
        File.Delete(target);
    }
}

var latency = options.SkipLatency ? null : WriterLatency.Measure(database, tools[0], options);
Report.Write(options, tools, results, latency, floorMiB);
Console.Error.WriteLine($"Wrote {options.Output}");
return 0;

static IEnumerable<Measurement> Case(
    string name,
    int sequence,
    int run,
    List<Tool> order,
    string database,
    Options options)
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
