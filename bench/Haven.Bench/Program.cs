// Benchmarks Haven side by side with restic, borg and a hand-made sqlite3+zstd+age pipeline on one
// generated clinical database, in one run, in alternating order. See docs/benchmarks.md.
// Usage: Haven.Bench --haven PATH/haven.dll [--size-mib 1024] [--runs 3] [--work DIR] [--out docs/benchmarks.md]
//   [--postgres ADMIN-CONNECTION [--pg-size-mib 256] [--postgres-only]]
using System.Globalization;
using Haven.Bench;
using Haven.Synthetic;

var options = Options.Parse(args);
Directory.CreateDirectory(options.Work);
if (options.PostgresOnly && options.Postgres is not null)
{
    var (onlyTools, onlyResults, onlyDescription) = PostgresBench.Run(options);
    File.WriteAllText(options.Output, PostgresBench.Document(options, onlyTools, onlyResults, onlyDescription));
    Console.Error.WriteLine($"Wrote {options.Output}");
    return 0;
}

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

    results.AddRange(Runner.Case("first full backup", 1, run, order, database));
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

    results.AddRange(Runner.Case("after 1% random updates", 2, run, order, database));
    ClinicalDatabaseGenerator.ApplyAppends(database, 0.01, seed: run + 1);
    results.AddRange(Runner.Case("after 1% appended rows", 3, run, order, database));
    results.AddRange(Runner.Case("unchanged database", 4, run, order, database));
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
string? postgres = null;
if (options.Postgres is not null)
{
    var (pgTools, pgResults, description) = PostgresBench.Run(options);
    postgres = PostgresBench.Section(pgTools, pgResults, description);
}

Report.Write(options, tools, results, latency, floorMiB, postgres);
Console.Error.WriteLine($"Wrote {options.Output}");
return 0;
