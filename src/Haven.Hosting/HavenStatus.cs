using System.Collections.Concurrent;

namespace Haven.Hosting;

/// <summary>
/// The state of every source's backups and drills, read by the health check and the metrics.
/// Injectable as a singleton.
/// </summary>
public sealed class HavenStatus
{
    private readonly ConcurrentDictionary<string, SourceStatus> _sources = new(StringComparer.Ordinal);

    /// <summary>Raised after any source's status changed.</summary>
    public event EventHandler<SourceStatus>? Changed;

    /// <summary>The status of every configured source, by full path.</summary>
    public IReadOnlyDictionary<string, SourceStatus> Sources => _sources;

    internal void Update(string source, Func<SourceStatus, SourceStatus> change)
    {
        var updated = _sources.AddOrUpdate(
            source,
            s => change(new SourceStatus { Source = s }),
            (_, old) => change(old));
        Changed?.Invoke(this, updated);
    }
}
