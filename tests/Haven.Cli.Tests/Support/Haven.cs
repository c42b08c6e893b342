using System.Diagnostics;

namespace Haven.Cli.Tests.Support;

/// <summary>Runs the real <c>haven</c> executable as a child process, with an explicit environment.</summary>
public sealed class HavenRunner
{
    private readonly Dictionary<string, string?> _environment = new(StringComparer.Ordinal);

    public HavenRunner(string repository, string? keyFile = null)
    {
        _environment["HAVEN_REPOSITORY"] = repository;
        _environment["HAVEN_PASSPHRASE"] = null;
        _environment["HAVEN_PASSPHRASE_FILE"] = null;
        _environment["HAVEN_KEY_FILE"] = keyFile;
    }

    public HavenRunner With(string variable, string? value)
    {
        _environment[variable] = value;
        return this;
    }

    public Result Run(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"haven {string.Join(' ', args)} did not finish");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "haven.dll"));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public string LastLine => Out.TrimEnd().Split('\n')[^1].Trim();

        public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Error}";
    }
}
