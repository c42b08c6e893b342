using System.Globalization;

namespace Haven.Bench;

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record Options(
    string HavenDll,
    int SizeMiB,
    int Runs,
    string Work,
    string Output,
    string Chart,
    bool SkipLatency,
    string? Postgres,
    int PostgresSizeMiB,
    bool PostgresOnly)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            int i = Array.LastIndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        string output = Path.GetFullPath(Value("--out", "docs/benchmarks.md"));
        return new Options(
            Path.GetFullPath(Value("--haven", "src/Haven.Cli/bin/Release/net10.0/haven.dll")),
            int.Parse(Value("--size-mib", "1024"), CultureInfo.InvariantCulture),
            int.Parse(Value("--runs", "3"), CultureInfo.InvariantCulture),
            Path.GetFullPath(Value("--work", Path.Combine(Path.GetTempPath(), "haven-bench"))),
            output,
            Path.ChangeExtension(output, ".svg"),
            args.Contains("--skip-latency"),
            Array.IndexOf(args, "--postgres") >= 0 ? Value("--postgres", "") : null,
            int.Parse(Value("--pg-size-mib", "256"), CultureInfo.InvariantCulture),
            args.Contains("--postgres-only"));
    }
}
