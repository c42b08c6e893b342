namespace Haven.Core.Backup;

/// <summary>Why and how a snapshot is taken.</summary>
public sealed record BackupRequest
{
    /// <summary>One of <see cref="Triggers"/>; default "manual".</summary>
    public string Trigger { get; init; } = Triggers.Manual;

    /// <summary>Free text recorded in the manifest, e.g. "bulk import of 200 patients".</summary>
    public string? Reason { get; init; }

    /// <summary>Operator labels.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Run PRAGMA quick_check on the consistent view and refuse a corrupt database (default on).</summary>
    public bool CheckSource { get; init; } = true;

    /// <summary>Receives progress as pages are read.</summary>
    public IProgress<Progress>? Progress { get; init; }

    /// <summary>Cancels the backup; nothing is listed for a cancelled backup.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// How long before the previous snapshot observed it the database file must have last changed
    /// for that snapshot to vouch for an unchanged database (see docs/design.md, "Unchanged
    /// databases"): more than the file system's time granularity. Null (the default) picks it from
    /// the recorded status-change time (<see cref="SqliteBackup.QuietPeriod"/>). Tests set it.
    /// </summary>
    internal TimeSpan? QuietBeforeObservation { get; init; }
}

/// <summary>Why a snapshot was taken.</summary>
public static class Triggers
{
    /// <summary>The app started.</summary>
    public const string Launch = "launch";

    /// <summary>The app finished an operation that must not be lost (deletion, import, migration).</summary>
    public const string CriticalOperation = "critical-operation";

    /// <summary>A scheduled backup.</summary>
    public const string Schedule = "schedule";

    /// <summary>A person ran it.</summary>
    public const string Manual = "manual";

    /// <summary>Taken of a database just before a restore replaced it.</summary>
    public const string PreRestore = "pre-restore";

    /// <summary>Imported from an older backup file.</summary>
    public const string Import = "import";
}

/// <summary>Progress of a long operation: units done of total (pages, bytes or objects).</summary>
public readonly record struct Progress(string Stage, long Done, long Total);
