namespace Haven.Hosting;

/// <summary>Scheduled drills: the newest snapshot of every source restored into scratch and verified.</summary>
public sealed class DrillOptions
{
    /// <summary>Cron expression for drills, e.g. <c>0 3 * * 0</c> (Sundays 03:00); empty for none.</summary>
    public string? Cron { get; set; }

    /// <summary>Time-zone id in which <see cref="Cron"/> is read (default UTC).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Where drills make their private scratch folder (default: the system temp folder).</summary>
    public string? Scratch { get; set; }
}
