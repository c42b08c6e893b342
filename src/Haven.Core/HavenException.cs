namespace Haven.Core;

/// <summary>
/// A failure that a person must act on. Its message is one sentence naming what failed and where,
/// and <see cref="Hint"/> says what to try. <see cref="ExitCode"/> is the documented process exit code.
/// </summary>
public class HavenException : Exception
{
    /// <summary>Creates a failure with exit code 1 ("failed").</summary>
    public HavenException(string message, string? hint = null, Exception? inner = null)
        : this(ExitCodes.Failed, message, hint, inner)
    {
    }

    /// <summary>Creates a failure with the given exit code.</summary>
    protected HavenException(int exitCode, string message, string? hint, Exception? inner)
        : base(message, inner)
    {
        ExitCode = exitCode;
        Hint = hint;
    }

    /// <summary>The process exit code a command-line tool should use for this failure.</summary>
    public int ExitCode { get; }

    /// <summary>What the person could try next, or null.</summary>
    public string? Hint { get; }
}

/// <summary>Stored data failed verification: corruption, tampering, or a restored copy that differs.</summary>
public sealed class IntegrityException(string message, string? hint = null, Exception? inner = null)
    : HavenException(
        ExitCodes.Integrity,
        message,
        hint ?? "Run 'haven check --read-data' to list every damaged object.",
        inner);

/// <summary>The passphrase or key file does not open any key slot of the repository.</summary>
public sealed class WrongKeyException(string message, string? hint = null)
    : HavenException(ExitCodes.WrongKey, message, hint, null);

/// <summary>
/// Something is in use: the repository is locked by another process, or a database is open elsewhere.
/// </summary>
public sealed class BusyException(string message, string? hint = null)
    : HavenException(ExitCodes.Busy, message, hint, null);

/// <summary>The command was called wrongly: a missing argument, an ambiguous snapshot id, no secret given.</summary>
public sealed class UsageException(string message, string? hint = null)
    : HavenException(ExitCodes.Usage, message, hint, null);

/// <summary>The documented process exit codes of Haven's tools.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The operation failed (I/O error, disk full, not a database, unsupported format).</summary>
    public const int Failed = 1;

    /// <summary>Wrong usage: bad arguments, unknown or ambiguous snapshot, no secret available.</summary>
    public const int Usage = 2;

    /// <summary>Integrity failure: corruption or tampering detected, verification failed.</summary>
    public const int Integrity = 3;

    /// <summary>Wrong passphrase or key file.</summary>
    public const int WrongKey = 4;

    /// <summary>Busy: repository locked, or database in use by another process.</summary>
    public const int Busy = 5;
}
