namespace Haven.Hosting;

/// <summary>What Haven knows about one source's backups and drills since the app started (times in UTC).</summary>
public sealed record SourceStatus
{
    /// <summary>The source's full path.</summary>
    public required string Source { get; init; }

    /// <summary>
    /// Time of the newest snapshot known to have succeeded (from the repository at start, then from this app).
    /// </summary>
    public DateTime? LastSuccess { get; init; }

    /// <summary>Id of that snapshot.</summary>
    public string? LastSnapshotId { get; init; }

    /// <summary>When the last failed attempt ended.</summary>
    public DateTime? LastFailure { get; init; }

    /// <summary>The last failure's message (never a secret or row data).</summary>
    public string? LastError { get; init; }

    /// <summary>True when the most recent attempt failed.</summary>
    public bool LastAttemptFailed { get; init; }

    /// <summary>When the last drill of this source ran.</summary>
    public DateTime? LastDrill { get; init; }

    /// <summary>Whether that drill passed; null when none ran.</summary>
    public bool? LastDrillPassed { get; init; }
}
