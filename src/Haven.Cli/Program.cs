namespace Haven.Cli;

/// <summary>Entry point of the <c>haven</c> tool.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns a documented exit code.</summary>
    public static int Main(string[] args) => HavenCli.Run(args, Console.Out, Console.Error);
}
