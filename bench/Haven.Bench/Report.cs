using System.Globalization;
using System.Text;

namespace Haven.Bench;

/// <summary>Writes docs/benchmarks.md and its SVG chart from the measurements.</summary>
internal static class Report
{
    private static readonly string[] Cases =
    [
        "first full backup",
        "after 1% random updates",
        "after 1% appended rows",
        "unchanged database",
        "restore latest"
    ];
    private static readonly string[] Colors = ["#1b6ca8", "#7fb2d9", "#d1495b", "#edae49", "#66a182"];

    public static void Write(
        Options options,
        List<Tool> tools,
        List<Measurement> results,
        LatencyResult? latency,
        double? floorMiB,
        string? postgres = null)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# Benchmarks");
        md.AppendLine();
        md.AppendLine(
            inv,
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} (UTC) on {Machine()}, with a generated clinical SQLite database " +
            $"of {options.SizeMiB} MiB (WAL mode), {options.Runs} runs per case, tools in a different order each " +
            $"run; figures are medians. Benchmarks are not tests: nothing here is asserted in CI.");
        md.AppendLine();
        md.AppendLine("## How to reproduce");
        md.AppendLine();
        md.AppendLine("```sh");
        md.AppendLine(inv, $"bash bench/run.sh --size-mib {options.SizeMiB} --runs {options.Runs}");
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(
            "`bench/run.sh` installs restic, borgbackup, sqlite3, zstd and age from Debian's packages " +
            "if missing, builds Haven in Release, generates the database once (deterministic seed), " +
            "and writes this file and `benchmarks.svg`. Tools as run:");
        md.AppendLine();
        foreach (var tool in tools)
        {
            md.AppendLine(inv, $"- **{tool.Name}**: {tool.Describe}");
        }

        md.AppendLine();
        md.AppendLine(
            inv,
            $"Versions: {Shell.Output("restic version | head -1")}; " +
            $"{Shell.Output("borg --version")}; sqlite3 " +
            $"{Shell.Output("sqlite3 --version | cut -d' ' -f1")}; " +
            $"{Shell.Output("zstd --version")}; age {Shell.Output("age --version")}.");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        foreach (string name in Cases)
        {
            Table(md, name, tools, results);
        }

        if (latency is not null)
        {
            md.AppendLine("## Writer commit latency during a Haven backup");
            md.AppendLine();
            md.AppendLine(
                "A writer commits single-row updates as fast as it can (WAL, synchronous=NORMAL), first alone for 5 " +
                "s, then while Haven takes a first full backup of the database into a new repository.");
            md.AppendLine();
            md.AppendLine("| | commits | p50 (ms) | p99 (ms) |");
            md.AppendLine("| --- | --- | --- | --- |");
            md.AppendLine(
                inv,
                $"| no backup running | {latency.BaselineCommits} | " +
                $"{latency.BaselineP50Ms:F3} | {latency.BaselineP99Ms:F3} |");
            md.AppendLine(
                inv,
                $"| during a {latency.BackupSeconds:F1} s Haven backup | {latency.DuringCommits} " +
                $"| {latency.DuringP50Ms:F3} | {latency.DuringP99Ms:F3} |");
            md.AppendLine();
        }

        if (postgres is not null)
        {
            md.Append(postgres);
        }

        Targets(md, results, latency, floorMiB);
        md.AppendLine(inv, $"![time and bytes added per case and tool]({Path.GetFileName(options.Chart)})");
        md.AppendLine();
        // The reading of the numbers is written by hand for the size it describes: notes-SIZE.md,
        // or notes.md for the default 1 GiB database.
        string notes = Path.Combine(AppContext.BaseDirectory, $"notes-{options.SizeMiB}.md");
        if (!File.Exists(notes) && options.SizeMiB == 1024)
        {
            notes = Path.Combine(AppContext.BaseDirectory, "notes.md");
        }

        if (File.Exists(notes))
        {
            md.Append(File.ReadAllText(notes));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
        File.WriteAllText(options.Output, md.ToString());
        File.WriteAllText(options.Chart, Svg(tools, results));
    }

    private static (double Seconds, double AddedMiB, double RssMiB) Median(
        List<Measurement> results,
        string tool,
        string name)
    {
        var rows = results.Where(r => r.Tool == tool && r.Case == name).ToList();
        return rows.Count == 0 ? (double.NaN, double.NaN, double.NaN)
            : (
                Med(rows.Select(r => r.Seconds)),
                Med(rows.Select(r => r.BytesAdded / 1048576.0)),
                Med(rows.Select(r => r.PeakRssKiB / 1024.0)));
    }

    private static double Med(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1
            ? sorted[sorted.Count / 2]
            : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    internal static void Table(
        StringBuilder md,
        string name,
        List<Tool> tools,
        List<Measurement> results,
        string level = "###")
    {
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"{level} {char.ToUpperInvariant(name[0])}{name[1..]}");
        md.AppendLine();
        md.AppendLine("| tool | time (s) | added (MiB) | peak RSS (MiB) |");
        md.AppendLine("| --- | --- | --- | --- |");
        foreach (var tool in tools)
        {
            var (seconds, added, rss) = Median(results, tool.Name, name);
            md.AppendLine(
                inv,
                $"| {tool.Name.Replace("|", "\\|", StringComparison.Ordinal)} | {seconds:F2} | " +
                $"{(name.StartsWith("restore", StringComparison.Ordinal) ? "-" : added.ToString("F2", inv))} | " +
                $"{rss:F0} |");
        }

        var haven = Median(results, tools[0].Name, name);
        var others = tools
            .Where(t => !t.Name.StartsWith("haven", StringComparison.Ordinal))
            .Select(t => Median(results, t.Name, name))
            .ToList();
        md.AppendLine(
            inv,
            $"| **Haven / best other** | **{haven.Seconds / others.Min(o => o.Seconds):F2}** | " +
            $"**{(name.StartsWith("restore", StringComparison.Ordinal)
                ? "-"
                : (haven.AddedMiB / Math.Max(1e-9, others.Min(o => o.AddedMiB))).ToString("F2", inv))}** | " +
            $"**{haven.RssMiB / others.Min(o => o.RssMiB):F2}** |");
        md.AppendLine();
    }

    private static void Targets(StringBuilder md, List<Measurement> results, LatencyResult? latency, double? floorMiB)
    {
        var inv = CultureInfo.InvariantCulture;
        var full = Median(results, "haven", Cases[0]);
        var resticFull = Median(results, "restic", Cases[0]);
        var updates = Median(results, "haven", Cases[1]);
        var resticUpdates = Median(results, "restic", Cases[1]);
        var unchanged = Median(results, "haven", Cases[3]);
        var restore = Median(results, "haven", Cases[4]);
        var resticRestore = Median(results, "restic", Cases[4]);
        double rss = results.Where(r => r.Tool == "haven").Max(r => r.PeakRssKiB) / 1024.0;
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| target | measured | met |");
        md.AppendLine("| --- | --- | --- |");
        Row(
            md,
            "first full backup: at most 0.6 x restic's time",
            $"{full.Seconds / resticFull.Seconds:F2} x ({full.Seconds:F2} s vs {resticFull.Seconds:F2} s)",
            full.Seconds <= 0.6 * resticFull.Seconds);
        Row(
            md,
            "first full backup: repository no larger than restic's",
            $"{full.AddedMiB:F1} MiB vs {resticFull.AddedMiB:F1} MiB",
            full.AddedMiB <= resticFull.AddedMiB);
        Row(
            md,
            "after 1% random updates: at most 0.3 x restic's time",
            $"{updates.Seconds / resticUpdates.Seconds:F2} x ({updates.Seconds:F2} s vs {resticUpdates.Seconds:F2} s)",
            updates.Seconds <= 0.3 * resticUpdates.Seconds);
        if (floorMiB is { } floor)
        {
            Row(
                md,
                "after 1% random updates: added at most 1.3 x the changed pages compressed",
                $"{updates.AddedMiB:F1} MiB vs floor {floor:F1} MiB ({updates.AddedMiB / floor:F2} x)",
                updates.AddedMiB <= 1.3 * floor);
        }

        Row(
            md,
            "unchanged database: under 1 s and under 64 KiB added",
            $"{unchanged.Seconds:F2} s, {unchanged.AddedMiB * 1024:F1} KiB",
            unchanged.Seconds < 1 && unchanged.AddedMiB * 1024 < 64);
        Row(
            md,
            "restore with verification: no slower than restic's restore",
            $"{restore.Seconds:F2} s vs {resticRestore.Seconds:F2} s",
            restore.Seconds <= resticRestore.Seconds);
        Row(md, "peak RSS under 150 MiB", $"{rss:F0} MiB (largest of any Haven run)", rss < 150);
        if (latency is not null)
        {
            Row(
                md,
                "writer p99 commit latency during a backup at most 2 x without",
                $"{latency.DuringP99Ms:F3} ms vs {latency.BaselineP99Ms:F3} ms " +
                $"({latency.DuringP99Ms / latency.BaselineP99Ms:F2} x)",
                latency.DuringP99Ms <= 2 * latency.BaselineP99Ms);
        }

        md.AppendLine();
    }

    private static void Row(StringBuilder md, string target, string measured, bool met) =>
        md.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {measured} | {(met ? "yes" : "**no**")} |");

    private static string Machine()
    {
        string cpu = Shell.Output("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Trim();
        string memory = Shell.Output("free -g | awk '/Mem:/ {print $2}'");
        return $"{Environment.ProcessorCount} vCPU ({cpu}), {memory} GiB RAM, Linux";
    }

    private static string Svg(List<Tool> tools, List<Measurement> results)
    {
        const int width = 900, panel = 260, left = 60, top = 40;
        var svg = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        svg.AppendLine(
            inv,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" " +
            $"height=\"{(2 * panel) + 170}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Panel(svg, tools, results, Cases, "Wall time (s), median", r => r.Seconds, top, panel, left, width);
        Panel(
            svg,
            tools,
            results,
            Cases[..4],
            "Bytes added to the repository (MiB), median",
            r => r.AddedMiB,
            top + panel + 70,
            panel,
            left,
            width);
        for (int t = 0; t < tools.Count; t++)
        {
            svg.AppendLine(
                inv,
                $"<rect x=\"{left + (t * 180)}\" y=\"{(2 * panel) + 140}\" width=\"12\" " +
                $"height=\"12\" fill=\"{Colors[t % Colors.Length]}\"/><text " +
                $"x=\"{left + (t * 180) + 16}\" y=\"{(2 * panel) + 150}\">{tools[t].Name}</text>");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(
        StringBuilder svg,
        List<Tool> tools,
        List<Measurement> results,
        string[] cases,
        string title,
        Func<(double Seconds, double AddedMiB, double RssMiB), double> value,
        int y,
        int height,
        int left,
        int width)
    {
        var inv = CultureInfo.InvariantCulture;
        double max = cases
            .SelectMany(c => tools.Select(t => value(Median(results, t.Name, c))))
            .Where(v => !double.IsNaN(v))
            .DefaultIfEmpty(1)
            .Max();
        svg.AppendLine(inv, $"<text x=\"{left}\" y=\"{y - 12}\" font-weight=\"bold\">{title}</text>");
        svg.AppendLine(
            inv,
            $"<line x1=\"{left}\" y1=\"{y + height}\" x2=\"{width - 20}\" y2=\"{y + height}\" stroke=\"#333\"/>");
        double groupWidth = (width - left - 20) / (double)cases.Length;
        double barWidth = (groupWidth - 20) / tools.Count;
        for (int c = 0; c < cases.Length; c++)
        {
            for (int t = 0; t < tools.Count; t++)
            {
                double v = value(Median(results, tools[t].Name, cases[c]));
                double h = double.IsNaN(v) ? 0 : v / max * (height - 20);
                double x = left + (c * groupWidth) + 10 + (t * barWidth);
                svg.AppendLine(
                    inv,
                    $"<rect x=\"{x:F1}\" y=\"{y + height - h:F1}\" width=\"{barWidth - 2:F1}\" height=\"{h:F1}\" " +
                    $"fill=\"{Colors[t % Colors.Length]}\"><title>{tools[t].Name}: {v:F2}</title></rect>");
                svg.AppendLine(
                    inv,
                    $"<text x=\"{x + ((barWidth - 2) / 2):F1}\" y=\"{y + height - h - 3:F1}\" " +
                    $"font-size=\"9\" text-anchor=\"middle\">{v:0.#}</text>");
            }

            svg.AppendLine(
                inv,
                $"<text x=\"{left + (c * groupWidth) + (groupWidth / 2):F1}\" " +
                $"y=\"{y + height + 16}\" text-anchor=\"middle\">{cases[c]}</text>");
        }
    }
}
