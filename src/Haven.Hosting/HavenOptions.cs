using Haven.Core.Crypto;

namespace Haven.Hosting;

/// <summary>
/// What Haven protects inside an app, bound from the configuration section <c>Haven</c>
/// (so <c>Haven__Repository=/data/backups</c> and <c>Haven__Sources__0__Kind=sqlite</c> work as
/// environment variables) and checked when the host starts.
/// </summary>
public sealed class HavenOptions
{
    /// <summary>The configuration section bound by <c>AddHaven</c>.</summary>
    public const string SectionName = "Haven";

    /// <summary>The repository folder. Required.</summary>
    public string? Repository { get; set; }

    /// <summary>
    /// Create the repository on first start when the folder is missing or empty (default false:
    /// a missing repository is a failed backup, so a typo in the path never goes unnoticed).
    /// </summary>
    public bool CreateRepository { get; set; }

    /// <summary>A file holding the passphrase (one trailing newline is ignored).</summary>
    public string? PassphraseFile { get; set; }

    /// <summary>A key file (at least 32 random bytes); used before <see cref="PassphraseFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// The environment variable holding the passphrase when neither a file nor
    /// <see cref="SecretProvider"/> is given (default <c>HAVEN_PASSPHRASE</c>).
    /// </summary>
    public string PassphraseVariable { get; set; } = "HAVEN_PASSPHRASE";

    /// <summary>
    /// Gets the secret from a secret store; used before every other secret source. Set it in code
    /// (it cannot come from configuration). Haven disposes the returned secret.
    /// </summary>
    public Func<CancellationToken, Task<Secret>>? SecretProvider { get; set; }

    /// <summary>What to back up. At least one; only <c>sqlite</c> sources can be backed up in this version.</summary>
    public IList<HavenSourceOptions> Sources { get; } = [];

    /// <summary>The snapshot taken when the app starts.</summary>
    public LaunchOptions Launch { get; set; } = new();

    /// <summary>Snapshots requested through <see cref="IBackupTrigger"/>.</summary>
    public CriticalOperationOptions CriticalOperations { get; set; } = new();

    /// <summary>Scheduled snapshots; no schedule when <see cref="ScheduleOptions.Cron"/> is empty.</summary>
    public ScheduleOptions Schedule { get; set; } = new();

    /// <summary>Scheduled drills; none when <see cref="DrillOptions.Cron"/> is empty.</summary>
    public DrillOptions Drill { get; set; } = new();

    /// <summary>Thresholds of the "haven" health check.</summary>
    public HealthOptions Health { get; set; } = new();

    /// <summary>What happens when the app stops.</summary>
    public ShutdownOptions Shutdown { get; set; } = new();

    /// <summary>
    /// How long to wait before trying again when another process holds the repository lock
    /// (default 5 seconds).
    /// </summary>
    public TimeSpan BusyRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times a backup is tried while the repository is locked (default 12: a minute at the default delay).
    /// </summary>
    public int BusyRetryAttempts { get; set; } = 12;
}
