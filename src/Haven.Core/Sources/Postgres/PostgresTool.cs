using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Haven.Core.Sources.Postgres;

/// <summary>
/// One of PostgreSQL's own programs (pg_dump, pg_dumpall, pg_restore) and its version. Haven uses
/// the server's tools rather than reimplementing the dump format: they are what PostgreSQL itself
/// guarantees to read back.
/// </summary>
internal sealed partial record PostgresTool(string Name, string Path, string Version, int Major)
{
    /// <summary>Debian and Ubuntu keep each major version's programs here.</summary>
    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>
    /// Finds <paramref name="name"/> for a server of major version <paramref name="serverMajor"/>:
    /// in <paramref name="directory"/> when given, else the matching (or next newer) version under
    /// /usr/lib/postgresql, else on PATH. Refuses a tool older than the server, naming both versions.
    /// </summary>
    public static PostgresTool Locate(string name, int serverMajor, string serverVersion, string? directory)
    {
        string path = directory is not null
            ? System.IO.Path.Combine(directory, name)
            : FromDebianLayout(name, serverMajor) ?? FromPath(name)
                ?? throw new UsageException(
                    $"{name} was not found (looked in {DebianRoot}/*/bin and on PATH).",
                    $"Install PostgreSQL {serverMajor}'s client programs (Debian: postgresql-client-{serverMajor}) " +
                    "or pass --pg-bin DIR.");
        if (!File.Exists(path))
        {
            throw new UsageException(
                $"{name} was not found in '{directory}' (from --pg-bin).",
                "Pass --pg-bin with the folder that holds PostgreSQL's pg_dump and pg_restore.");
        }

        var tool = Probe(name, path);
        if (tool.Major < serverMajor)
        {
            throw new UsageException(
                $"{name} {tool.Version} ({path}) is older than the PostgreSQL server ({serverVersion}); it cannot " +
                "be trusted with this server's data, so nothing was done.",
                $"Install PostgreSQL {serverMajor}'s client programs (Debian: postgresql-client-{serverMajor}) " +
                $"or pass --pg-bin with a folder of version {serverMajor} or later.");
        }

        return tool;
    }

    private static PostgresTool Probe(string name, string path)
    {
        string output;
        try
        {
            var start = new ProcessStartInfo(path, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            PostgresProcess.HideSecrets(start, password: null);
            foreach (string variable in start.Environment.Keys
                .Where(k => k.StartsWith("PG", StringComparison.Ordinal))
                .ToList())
            {
                // Asking for a version needs no connection settings at all.
                start.Environment.Remove(variable);
            }

            using var process = Process.Start(start)!;
            output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"{name} at '{path}' cannot be run: {e.Message}.");
        }

        var match = VersionPattern().Match(output);
        if (!match.Success)
        {
            throw new UsageException($"'{path} --version' did not print a PostgreSQL version (it printed " +
                $"'{output.Trim()}').");
        }

        int major = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        return new PostgresTool(name, path, match.Groups[1].Value, major);
    }

    private static string? FromDebianLayout(string name, int serverMajor)
    {
        if (!Directory.Exists(DebianRoot))
        {
            return null;
        }

        var versions = Directory.GetDirectories(DebianRoot)
            .Select(d => (Path: System.IO.Path.Combine(d, "bin", name), Major: MajorOf(System.IO.Path.GetFileName(d))))
            .Where(v => v.Major > 0 && File.Exists(v.Path))
            .OrderBy(v => v.Major)
            .ToList();
        return versions.FirstOrDefault(v => v.Major >= serverMajor).Path
            ?? versions.LastOrDefault().Path;
    }

    private static int MajorOf(string folder) =>
        int.TryParse(folder.Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? major : 0;

    private static string? FromPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => System.IO.Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"\(PostgreSQL\) ((\d+)(?:\.\d+)*)")]
    private static partial Regex VersionPattern();
}
