using System.Diagnostics;
using System.Globalization;

namespace Haven.Bench;

/// <summary>Runs commands under GNU time, for wall time and peak resident memory.</summary>
internal static class Shell
{
    public static (double Seconds, long PeakRssKiB) Timed(
        string command,
        IDictionary<string, string>? environment = null,
        string? directory = null)
    {
        string timing = Path.GetTempFileName();
        var (code, output) = Run(
            "/usr/bin/time",
            ["-f", "%e %M", "-o", timing, "sh", "-c", command],
            environment,
            directory);
        string[] parts = File.ReadAllText(timing).Trim().Split('\n')[^1].Split(' ');
        File.Delete(timing);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{command}' failed with exit code {code}: {output}");
        }

        return (
            double.Parse(parts[0], CultureInfo.InvariantCulture),
            long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public static (int Code, string Output) Run(
        string file,
        IEnumerable<string> args,
        IDictionary<string, string>? environment = null,
        string? directory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        if (directory is not null)
        {
            info.WorkingDirectory = directory;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public static string Output(string command) => Run("sh", ["-c", command]).Output.Trim();

    public static long FolderBytes(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
            : 0;
}
