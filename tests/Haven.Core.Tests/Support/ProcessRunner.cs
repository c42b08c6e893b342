using System.Diagnostics;

namespace Haven.Core.Tests.Support;

/// <summary>Runs helper programs built beside the tests (the writer process) as real child processes.</summary>
public static class ProcessRunner
{
    /// <summary>Path of a .dll built into the test output folder.</summary>
    public static string Dll(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    /// <summary>Starts <c>dotnet NAME.dll args</c> with redirected output.</summary>
    public static Process Start(string dll, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Dll(dll));
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        return Process.Start(info)!;
    }

    /// <summary>Starts the writer process on a database and waits until it has committed once.</summary>
    public static Process StartWriter(string database, int seconds, string mode = "write")
    {
        var process = Start(
            "Haven.WriterProcess",
            [mode, database, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        string? line = process.StandardOutput.ReadLine();
        if (line != "ready")
        {
            process.Kill();
            throw new InvalidOperationException(
                $"The writer process did not start: {line} {process.StandardError.ReadToEnd()}");
        }

        return process;
    }

    /// <summary>Stops a process started here and waits for it.</summary>
    public static string Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(10_000))
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process.WaitForExit();
        return process.StandardOutput.ReadToEnd();
    }
}
