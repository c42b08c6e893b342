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
            repository.Audit.Append(AuditEventTypes.BackupFailed, new Dictionary<string, string>
            {
                ["source"] = path,
                ["trigger"] = request.Trigger,
                ["error"] = e is HavenException ? e.Message : $"{e.GetType().Name}: {e.Message}",
            });
            throw;
        }

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
        return manifest;
    }
}
