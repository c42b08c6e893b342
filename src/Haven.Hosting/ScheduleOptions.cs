namespace Haven.Hosting;

/// <summary>Scheduled snapshots: a cron expression read in a time zone.</summary>
public sealed class ScheduleOptions
{
    /// <summary>
    /// Five-field cron expression (six with seconds), e.g. <c>0 * * * *</c> for hourly; empty for
    /// no schedule. Across daylight-saving changes an hourly schedule runs once per real hour.
    /// </summary>
    public string? Cron { get; set; }

    /// <summary>IANA or Windows time-zone id in which <see cref="Cron"/> is read (default UTC).</summary>
    public string TimeZone { get; set; } = "UTC";
}
