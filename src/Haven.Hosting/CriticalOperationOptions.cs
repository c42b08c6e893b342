namespace Haven.Hosting;

/// <summary>How requests made through <see cref="IBackupTrigger"/> are coalesced.</summary>
public sealed class CriticalOperationOptions
{
    /// <summary>
    /// The shortest time between the starts of two <c>critical-operation</c> snapshots (default 15
    /// seconds). Requests made meanwhile wait and are covered together by the next snapshot, so a
    /// burst lasting T yields at most 1 + ceil(T / window) snapshots: at most 5 for a burst of any
    /// number of calls within one minute at the default.
    /// </summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(15);
}
