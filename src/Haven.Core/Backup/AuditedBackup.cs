using System.Globalization;
using Haven.Core.Audit;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Backup;

/// <summary>
/// Wraps every backup in audit events: started (whose position the manifest records), then
/// completed with the snapshot's id and sizes, or failed with the reason.
/// </summary>
internal static class AuditedBackup
{
    public static Manifest Run(
        LocalRepository repository,
        string kind,
        string path,
        BackupRequest request,
        Func<AuditHead, Manifest> backup)
    {
        var started = repository.Audit.Append(AuditEventTypes.BackupStarted, new Dictionary<string, string>
        {
            ["source"] = path,
            ["kind"] = kind,
            ["trigger"] = request.Trigger,
            ["reason"] = request.Reason ?? "",
        });
        Manifest manifest;
        try
        {
            manifest = backup(new AuditHead(started.Seq, repository.Audit.Read(started.Seq).Hash));
        }
        catch (Exception e)
        {
            try
            {
                repository.Audit.Append(AuditEventTypes.BackupFailed, new Dictionary<string, string>
                {
                    ["source"] = path,
                    ["trigger"] = request.Trigger,
                    ["error"] = e is HavenException ? e.Message : $"{e.GetType().Name}: {e.Message}",
                });
            }
            catch (Exception audit) when (audit is IOException or UnauthorizedAccessException)
            {
                // The backup's own failure (a full disk, say) is what the caller must see; a started
                // backup with no outcome is reported as interrupted.
            }

            throw;
        }

        try
        {
            AppendCompleted(repository, kind, path, manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HavenException(
                $"Snapshot {manifest.Id} was saved, but the audit log could not record it ({e.Message}).",
                "Free space or fix the permissions of the repository's audit folder; the snapshot restores " +
                "as it is, and the compliance report counts this backup as interrupted.",
                e);
        }

        return manifest;
    }

    private static void AppendCompleted(LocalRepository repository, string kind, string path, Manifest manifest) =>
        repository.Audit.Append(AuditEventTypes.BackupCompleted, new Dictionary<string, string>
        {
            ["snapshot"] = manifest.Id,
            ["source"] = path,
            ["kind"] = kind,
            ["trigger"] = manifest.Trigger,
            ["reason"] = manifest.Reason ?? "",
            ["size"] = manifest.Content.Size.ToString(CultureInfo.InvariantCulture),
            ["addedBytes"] = manifest.Stats.AddedBytes.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = manifest.Stats.DurationSeconds.ToString("F3", CultureInfo.InvariantCulture),
        });
}
