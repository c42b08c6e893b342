using Haven.Core.Backup;
using Haven.Core.Configuration;
using Haven.Core.Drill;
using Haven.Core.Repository;

namespace Haven.Hosting;

/// <summary>Drills, under the same gate as backups.</summary>
internal sealed partial class BackupEngine
{
    /// <summary>
    /// Restores the newest snapshot of every source into scratch and verifies it (Haven.Core's
    /// drill, which records the result in the audit log). A failed drill is recorded, not thrown.
    /// </summary>
    public async Task<IReadOnlyList<DrillResult>> DrillAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var settings = options.Value;
            var repository = await access.GetAsync(cancellationToken).ConfigureAwait(false);
            var drill = new DrillSettings { Scratch = settings.Drill.Scratch };
            var results = new List<DrillResult>();
            foreach (string source in SqliteSources(settings))
            {
                var result = await DrillSourceAsync(repository, source, drill, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    results.Add(result);
                }
            }

            return results;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DrillResult?> DrillSourceAsync(
        LocalRepository repository,
        string source,
        DrillSettings drill,
        CancellationToken cancellationToken)
    {
        var newest = repository.ReadAllSnapshots().Manifests
            .LastOrDefault(m => m.Source.Path == source && m.Trigger != Triggers.PreRestore);
        DrillResult? result = null;
        string? error = newest is null ? "the repository holds no snapshot of it" : null;
        if (newest is not null)
        {
            try
            {
                result = await Task.Run(() => DrillRunner.Run(repository, newest, drill), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = Describe(e);
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        bool passed = result?.Passed ?? false;
        status.Update(source, s => s with { LastDrill = now, LastDrillPassed = passed });
        metrics.DrillRan(source, passed);
        if (result is not null)
        {
            HostingLog.DrillCompleted(
                logger,
                source,
                result.SnapshotId,
                passed ? "passed" : "failed: " + string.Join("; ", result.Failures),
                result.RtoSeconds);
        }
        else
        {
            HostingLog.DrillFailed(logger, source, error!);
        }

        return result;
    }

    public void Dispose() => _gate.Dispose();
}
