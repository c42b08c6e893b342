namespace Haven.Hosting;

/// <summary>The snapshot of every source taken when the app starts.</summary>
public sealed class LaunchOptions
{
    /// <summary>Take a <c>launch</c> snapshot in the background when the app starts (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// When set, and a source's newest snapshot is older than this (or it has none), the launch
    /// snapshot is taken before the app starts, and the app refuses to start if it fails. Unset
    /// (the default), startup never waits for Haven and a failure is only logged and audited.
    /// </summary>
    public TimeSpan? RequireBackupWithin { get; set; }
}
