using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// The "haven" health check. Unhealthy when a source's last backup failed or its last success is
/// older than <see cref="HealthOptions.BackupMaxAge"/>; Degraded when no backup has succeeded yet
/// (the launch snapshot is still running), or when drills are checked and the last one failed or
/// is too old. The description names each source and what is wrong.
/// </summary>
internal sealed class HavenHealthCheck(
    IOptions<HavenOptions> options,
    HavenStatus status,
    TimeProvider time) : IHealthCheck
{
    /// <summary>The default drill threshold when a drill schedule is set but no threshold is.</summary>
    private static readonly TimeSpan DefaultDrillMaxAge = TimeSpan.FromDays(8);

    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var now = time.GetUtcNow().UtcDateTime;
        var unhealthy = new List<string>();
        var degraded = new List<string>();
        var data = new Dictionary<string, object>();
        TimeSpan? drillMaxAge = settings.Health.DrillMaxAge
            ?? (string.IsNullOrWhiteSpace(settings.Drill.Cron) ? null : DefaultDrillMaxAge);
        foreach (string source in BackupEngine.SqliteSources(settings))
        {
            var state = status.Sources.GetValueOrDefault(source) ?? new SourceStatus { Source = source };
            AssessBackup(state, now, settings.Health.BackupMaxAge, unhealthy, degraded);
            if (drillMaxAge is { } limit)
            {
                AssessDrill(state, now, limit, degraded);
            }

            data[source] = state.LastSuccess?.ToString("O", CultureInfo.InvariantCulture) ?? "never";
        }

        var result = unhealthy.Count > 0
            ? HealthCheckResult.Unhealthy(string.Join(" ", unhealthy.Concat(degraded)), data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded(string.Join(" ", degraded), data: data)
                : HealthCheckResult.Healthy("Every source has a recent successful backup.", data);
        return Task.FromResult(result);
    }

    private static void AssessBackup(
        SourceStatus state,
        DateTime now,
        TimeSpan maxAge,
        List<string> unhealthy,
        List<string> degraded)
    {
        if (state.LastAttemptFailed)
        {
            unhealthy.Add($"The last backup of {state.Source} failed at {state.LastFailure:O}: {state.LastError}");
        }
        else if (state.LastSuccess is not { } last)
        {
            degraded.Add($"{state.Source} has no successful backup yet.");
        }
        else if (now - last > maxAge)
        {
            unhealthy.Add($"The last successful backup of {state.Source} was at {last:O}, longer ago than {maxAge}.");
        }
    }

    private static void AssessDrill(SourceStatus state, DateTime now, TimeSpan maxAge, List<string> degraded)
    {
        if (state.LastDrillPassed == false)
        {
            degraded.Add($"The last drill of {state.Source} failed at {state.LastDrill:O}.");
        }
        else if (state.LastDrill is not { } last || now - last > maxAge)
        {
            degraded.Add($"{state.Source} has had no drill within {maxAge}.");
        }
    }
}
