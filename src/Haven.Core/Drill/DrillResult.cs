namespace Haven.Core.Drill;

/// <summary>The outcome of one drill.</summary>
/// <param name="SnapshotId">The snapshot restored.</param>
/// <param name="Source">Its source path.</param>
/// <param name="Passed">True when every check passed.</param>
/// <param name="RtoSeconds">Time to restore and verify the copy (the recovery time this drill shows).</param>
/// <param name="RpoSeconds">Age of the snapshot relative to the previous one of its source: the
/// data-loss window; null for a first snapshot.</param>
/// <param name="Checks">Each check that passed.</param>
/// <param name="Failures">Each check that failed, naming the table or query.</param>
public sealed record DrillResult(
    string SnapshotId,
    string Source,
    bool Passed,
    double RtoSeconds,
    double? RpoSeconds,
    IReadOnlyList<string> Checks,
    IReadOnlyList<string> Failures);
