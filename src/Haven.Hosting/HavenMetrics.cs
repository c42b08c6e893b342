using System.Diagnostics.Metrics;

namespace Haven.Hosting;

/// <summary>
/// Haven's instruments, on the meter <see cref="MeterName"/>, for OpenTelemetry or Prometheus
/// exporters: counts of backups and failures, duration, bytes added and the age of the last
/// success per source; counts of drills and their failures.
/// </summary>
public sealed class HavenMetrics
{
    /// <summary>The meter's name: subscribe to it in an exporter.</summary>
    public const string MeterName = "Haven";

    private readonly Counter<long> _backups;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _addedBytes;
    private readonly Counter<long> _drills;
    private readonly Counter<long> _drillFailures;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public HavenMetrics(IMeterFactory meterFactory, HavenStatus status, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _backups = meter.CreateCounter<long>("haven.backups", "{snapshot}", "Snapshots taken successfully.");
        _failures = meter.CreateCounter<long>("haven.backup.failures", "{failure}", "Backups that failed.");
        _duration = meter.CreateHistogram<double>("haven.backup.duration", "s", "Time to take one snapshot.");
        _addedBytes = meter.CreateCounter<long>(
            "haven.backup.added_bytes",
            "By",
            "Bytes a snapshot added to the repository.");
        _drills = meter.CreateCounter<long>("haven.drills", "{drill}", "Drills run.");
        _drillFailures = meter.CreateCounter<long>("haven.drill.failures", "{failure}", "Drills that failed.");
        meter.CreateObservableGauge(
            "haven.backup.last_success_age",
            () => Ages(status, time),
            "s",
            "Seconds since each source's last successful backup.");
    }

    internal void BackupSucceeded(string source, string trigger, double seconds, long addedBytes)
    {
        var tags = Tags(source, trigger);
        _backups.Add(1, tags);
        _duration.Record(seconds, tags);
        _addedBytes.Add(addedBytes, tags);
    }

    internal void BackupFailed(string source, string trigger) => _failures.Add(1, Tags(source, trigger));

    internal void DrillRan(string source, bool passed)
    {
        var tag = new KeyValuePair<string, object?>("haven.source", Path.GetFileName(source));
        _drills.Add(1, tag);
        if (!passed)
        {
            _drillFailures.Add(1, tag);
        }
    }

    private static KeyValuePair<string, object?>[] Tags(string source, string trigger) =>
        [new("haven.source", Path.GetFileName(source)), new("haven.trigger", trigger)];

    private static IEnumerable<Measurement<double>> Ages(HavenStatus status, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var source in status.Sources.Values)
        {
            if (source.LastSuccess is { } last)
            {
                yield return new Measurement<double>(
                    (now - last).TotalSeconds,
                    new KeyValuePair<string, object?>("haven.source", Path.GetFileName(source.Source)));
            }
        }
    }
}
