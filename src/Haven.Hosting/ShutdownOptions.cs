namespace Haven.Hosting;

/// <summary>What Haven does when the app stops gracefully.</summary>
public sealed class ShutdownOptions
{
    /// <summary>
    /// Take a final snapshot of every source when the app stops (default false). Critical-operation
    /// requests still waiting for their window are always covered on a graceful stop.
    /// </summary>
    public bool FinalSnapshot { get; set; }
}
