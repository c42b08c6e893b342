using Haven.Core.Audit;
using Haven.Core.Repository;

namespace Haven.Core.Restore;

/// <summary>
/// Wraps every restore, of any kind of source, in the same checks and audit events: the audit log
/// must verify first (unless the operator allows a damaged one), then restore-started, and
/// restore-completed or restore-failed (operation-refused when the target was busy).
/// </summary>
internal static class AuditedRestore
{
    public static T Run<T>(
        LocalRepository repository,
        Dictionary<string, string> details,
        bool allowDamagedAudit,
        Func<T> restore,
        Func<T, Dictionary<string, string>> completed)
    {
        var audit = AuditVerifier.Verify(repository);
        if (!audit.Intact && !allowDamagedAudit)
        {
            throw new IntegrityException(
                $"The repository's audit log fails verification ({audit.Problem}); nothing was restored.",
                "Someone or something changed the repository. 'haven check --read-data' shows whether the " +
                "backups themselves are intact; if they are, restore with --allow-damaged-audit.");
        }

        Record(AuditEventTypes.RestoreStarted, details);
        try
        {
            var result = restore();
            var recorded = new Dictionary<string, string>(details);
            foreach (var (key, value) in completed(result))
            {
                recorded[key] = value;
            }

            Record(AuditEventTypes.RestoreCompleted, recorded);
            return result;
        }
        catch (Exception e)
        {
            string type = e is BusyException ? AuditEventTypes.OperationRefused : AuditEventTypes.RestoreFailed;
            Record(type, new Dictionary<string, string>(details) { ["operation"] = "restore", ["error"] = e.Message });
            throw;
        }

        void Record(string type, Dictionary<string, string> eventDetails)
        {
            try
            {
                repository.Audit.Append(type, eventDetails);
            }
            catch (IntegrityException) when (allowDamagedAudit)
            {
                // The operator chose to restore past a damaged audit log; the data was verified.
            }
        }
    }
}
