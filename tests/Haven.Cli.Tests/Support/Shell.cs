namespace Haven.Cli.Tests.Support;

/// <summary>Runs a system program (mount, umount) and returns its exit code.</summary>
public static class Shell
{
    public static int Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
