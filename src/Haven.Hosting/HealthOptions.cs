namespace Haven.Hosting;

/// <summary>Thresholds of the <c>haven</c> health check.</summary>
public sealed class HealthOptions
{
    /// <summary>Unhealthy when a source's last successful backup is older than this (default 25 hours).</summary>
    public TimeSpan BackupMaxAge { get; set; } = TimeSpan.FromHours(25);

    /// <summary>
    /// Degraded when a source's last drill is older than this or failed. Unset (the default), drills
    /// are checked only when a drill schedule is configured, with a threshold of 8 days.
    /// </summary>
    public TimeSpan? DrillMaxAge { get; set; }
}
