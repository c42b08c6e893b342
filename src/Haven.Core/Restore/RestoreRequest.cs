using Haven.Core.Backup;
using Haven.Core.Snapshots;

namespace Haven.Core.Restore;

/// <summary>Options of a restore.</summary>
public sealed record RestoreRequest
{
    /// <summary>
    /// Replace a database that another process holds open (its connections will see a replaced file).
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// Restore even though the audit log fails verification. The data is verified either way; this
    /// only says that the operator knows the record of what happened was damaged or tampered with.
    /// </summary>
    public bool AllowDamagedAudit { get; init; }

    /// <summary>
    /// Run SQLite's full <c>PRAGMA integrity_check</c> on the restored copy instead of
    /// <c>quick_check</c>. quick_check walks every page and b-tree; the full check also compares
    /// every index with its table, which takes several times longer. See docs/design.md.
    /// </summary>
    public bool FullIntegrityCheck { get; init; }

    /// <summary>Receives progress as pages are written.</summary>
    public IProgress<Progress>? Progress { get; init; }

    /// <summary>Cancels the restore; the target is then left as it was.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What a restore did.</summary>
/// <param name="Snapshot">The snapshot restored.</param>
/// <param name="Target">Full path of the restored database.</param>
/// <param name="PreRestore">Snapshot taken of the database that was replaced, or null when there was none.</param>
/// <param name="Checks">The verifications that passed, in order, for the report.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record RestoreResult(
    Manifest Snapshot,
    string Target,
    Manifest? PreRestore,
    IReadOnlyList<string> Checks,
    double Seconds);
