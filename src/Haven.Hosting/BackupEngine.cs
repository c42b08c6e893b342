using Haven.Core;
using Haven.Core.Backup;
using Haven.Core.Repository;
using Haven.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// Runs every backup and drill of the app, one at a time (a gate shared by the launch, critical
/// operations, the schedule and shutdown), so that Haven never competes with itself for the
/// repository lock. Each outcome updates <see cref="HavenStatus"/>, the metrics and the log; the
/// repository's audit log records it through Haven.Core.
/// </summary>
internal sealed partial class BackupEngine(
    IOptions<HavenOptions> options,
    RepositoryAccess access,
    HavenStatus status,
    HavenMetrics metrics,
    TimeProvider time,
    ILogger<BackupEngine> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Full paths of the configured sqlite sources, in configuration order.</summary>
    public static IReadOnlyList<string> SqliteSources(HavenOptions settings) =>
        [.. settings.Sources
            .Where(s => string.Equals(s.Kind?.Trim(), SourceKinds.Sqlite, StringComparison.OrdinalIgnoreCase)
                && !string.IsNullOrWhiteSpace(s.Path))
            .Select(s => Path.GetFullPath(s.Path!))];

    /// <summary>
    /// A failure as one line for logs and status: Haven's own messages as they are, others with their type.
    /// </summary>
    public static string Describe(Exception e) => e is HavenException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>
    /// Snapshots every source. Throws the failure (an <see cref="AggregateException"/> when several
    /// sources failed) after trying them all; cancelling abandons the in-flight snapshot, which
    /// Haven.Core then never lists.
    /// </summary>
    public async Task<IReadOnlyList<Manifest>> BackupAsync(
        string trigger,
        string? reason,
        CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sources = SqliteSources(options.Value);
            var repository = await OpenAsync(sources, trigger, cancellationToken).ConfigureAwait(false);
            var manifests = new List<Manifest>();
            var errors = new List<Exception>();
            foreach (string source in sources)
            {
                try
                {
                    manifests.Add(await BackupSourceAsync(repository, source, trigger, reason, cancellationToken)
                        .ConfigureAwait(false));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    errors.Add(e);
                }
            }

            return errors.Count switch
            {
                0 => manifests,
                1 => throw errors[0],
                _ => throw new AggregateException("Backups of several sources failed.", errors),
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Opens the repository (and learns each source's newest snapshot); throws when it cannot.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await access.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<LocalRepository> OpenAsync(
        IReadOnlyList<string> sources,
        string trigger,
        CancellationToken cancellationToken)
    {
        try
        {
            return await access.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            foreach (string source in sources)
            {
                RecordFailure(source, trigger, e);
            }

            throw;
        }
    }

    private async Task<Manifest> BackupSourceAsync(
        LocalRepository repository,
        string source,
        string trigger,
        string? reason,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var request = new BackupRequest { Trigger = trigger, Reason = reason, CancellationToken = cancellationToken };
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var manifest = await Task.Run(() => SqliteBackup.Run(repository, source, request), cancellationToken)
                    .ConfigureAwait(false);
                RecordSuccess(source, manifest);
                return manifest;
            }
            catch (BusyException) when (attempt < settings.BusyRetryAttempts)
            {
                HostingLog.RepositoryBusy(logger, source, attempt, settings.BusyRetryAttempts, settings.BusyRetryDelay);
                await Task.Delay(settings.BusyRetryDelay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RecordFailure(source, trigger, e);
                throw;
            }
        }
    }

    private void RecordSuccess(string source, Manifest manifest)
    {
        status.Update(source, s => s with
        {
            LastSuccess = s.LastSuccess > manifest.Time ? s.LastSuccess : manifest.Time,
            LastSnapshotId = manifest.Id,
            LastAttemptFailed = false,
        });
        metrics.BackupSucceeded(source, manifest.Trigger, manifest.Stats.DurationSeconds, manifest.Stats.AddedBytes);
        HostingLog.BackupCompleted(
            logger,
            source,
            manifest.Trigger,
            manifest.Id,
            manifest.Stats.AddedBytes,
            manifest.Stats.DurationSeconds);
    }

    private void RecordFailure(string source, string trigger, Exception e)
    {
        string error = Describe(e);
        status.Update(source, s => s with
        {
            LastFailure = time.GetUtcNow().UtcDateTime,
            LastError = error,
            LastAttemptFailed = true,
        });
        metrics.BackupFailed(source, trigger);
        HostingLog.BackupFailed(logger, source, trigger, error);
    }
}
