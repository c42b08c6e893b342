using Haven.Core.Snapshots;

namespace Haven.Hosting;

/// <summary>
/// What an app calls after an operation that must not be lost: a patient record deleted, a bulk
/// import, a schema migration. Requests coalesce: <c>critical-operation</c> snapshots start at least
/// <see cref="CriticalOperationOptions.CoalesceWindow"/> apart, and one snapshot covers every
/// request made before it started, recording all their reasons. A burst lasting T therefore yields
/// at most 1 + ceil(T / window) snapshots, whatever the number of calls.
/// </summary>
public interface IBackupTrigger
{
    /// <summary>
    /// Records a request and returns at once; the snapshot follows in the background. A failure is
    /// logged, audited and shown by the health check, never thrown here.
    /// </summary>
    /// <param name="reason">Why, recorded in the manifest, e.g. "patient 12 deleted". No row data or names.</param>
    /// <param name="cancellationToken">Not used to cancel the snapshot; present for callers' uniformity.</param>
    ValueTask RequestBackupAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a request and waits for the snapshots (one per source) that cover it: they start
    /// after this call, so they hold every change the caller committed before calling. Throws the
    /// backup's failure; cancelling stops the wait, not the snapshot.
    /// </summary>
    Task<IReadOnlyList<Manifest>> RequestBackupAndWaitAsync(
        string reason,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until every request made before this call, and the launch snapshot, has been covered
    /// by a finished snapshot, successful or not. Never throws a backup's failure.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
