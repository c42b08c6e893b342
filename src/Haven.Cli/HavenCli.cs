using System.CommandLine;
using System.Runtime.InteropServices;
using Haven.Cli.Commands;
using Haven.Core;
using Microsoft.Data.Sqlite;

namespace Haven.Cli;

/// <summary>
/// Builds the <c>haven</c> command tree and runs it. Failures become one "Error:" sentence and a
/// "Try:" hint on standard error with a documented exit code; a stack trace only with --verbose.
/// </summary>
public static class HavenCli
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Haven: encrypted, verified backup and recovery of clinical databases.");
        root.Options.Add(GlobalOptions.Repository);
        root.Options.Add(GlobalOptions.KeyFile);
        root.Options.Add(GlobalOptions.Verbose);
        root.Options.Add(GlobalOptions.Config);
        foreach (var command in new[]
        {
            InitCommand.Create(), BackupCommand.Create(), SnapshotsCommand.Create(), RestoreCommand.Create(),
            CheckCommand.Create(),
            RebuildIndexCommand.Create(),
            AuditCommand.Create(),
            DrillCommand.Create(),
            ReportCommand.Create(),
            KeyCommand.Create(),
            DemoCommand.Create(),
        })
        {
            root.Subcommands.Add(command);
        }

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"Error: {parseError.Message}");
            }

            error.WriteLine("Try: haven --help");
            return ExitCodes.Usage;
        }

        CurrentOutput = output;
        CurrentError = error;
        // Ctrl-C or SIGTERM cancels the operation so that it can clean up (a restore drops its side
        // database, a backup stops pg_dump and removes the password file) instead of dying mid-way.
        using var stopping = new CancellationTokenSource();
        Stopping = stopping.Token;
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        try
        {
            return parse.Invoke(
                new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        finally
        {
            Stopping = CancellationToken.None;
        }

        void Cancel(PosixSignalContext context)
        {
            if (!stopping.IsCancellationRequested)
            {
                context.Cancel = true;
                stopping.Cancel();
            }
        }
    }

    /// <summary>
    /// Cancelled when the process is asked to stop (Ctrl-C, SIGTERM); a second signal ends it at once.
    /// </summary>
    internal static CancellationToken Stopping { get; private set; }

    [ThreadStatic]
    private static TextWriter? CurrentOutput;

    [ThreadStatic]
    private static TextWriter? CurrentError;

    /// <summary>Wraps a command's body: builds its context and turns failures into exit codes.</summary>
    internal static Func<ParseResult, int> Action(Func<CliContext, int> body) => parse =>
    {
        var context = new CliContext(parse, CurrentOutput ?? Console.Out, CurrentError ?? Console.Error);
        try
        {
            return body(context);
        }
        catch (Exception e)
        {
            return Report(context, e);
        }
    };

    private static int Report(CliContext context, Exception e)
    {
        var (code, message, hint) = e switch
        {
            HavenException haven => (haven.ExitCode, haven.Message, haven.Hint),
            SqliteException sqlite => (ExitCodes.Failed, $"SQLite failed: {sqlite.Message}", null),
            IOException io when IsDiskFull(io) => (
                ExitCodes.Failed,
                $"The disk is full: {io.Message}; nothing was saved.",
                "Free space, then run the command again."),
            IOException io => (ExitCodes.Failed, $"A file operation failed: {io.Message}", null),
            UnauthorizedAccessException denied => (
                ExitCodes.Failed,
                $"Permission denied: {denied.Message}",
                "Run as a user that may read and write these files."),
            OperationCanceledException => (
                ExitCodes.Failed,
                "Cancelled; no snapshot was recorded, and nothing was replaced.",
                null),
            _ => (
                ExitCodes.Failed,
                $"Unexpected failure: {e.Message}",
                "Run again with --verbose and report the output."),
        };
        context.Error.WriteLine($"Error: {message}");
        if (hint is not null)
        {
            context.Error.WriteLine($"Try: {hint}");
        }

        if (context.Verbose)
        {
            context.Error.WriteLine(e.ToString());
        }

        return code;
    }

    private static bool IsDiskFull(IOException e) =>
        e.HResult == 28
            || e.HResult == unchecked((int)0x80070070)
            || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
