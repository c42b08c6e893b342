namespace Haven.Core.Audit;

/// <summary>
/// One record of the audit log. Events are numbered from 1 without gaps; each carries the hash of
/// the one before it and a MAC under the audit key, and is stored encrypted under audit/SEQ.
/// Details never hold secrets, row data or patient identifiers.
/// </summary>
public sealed record AuditEvent
{
    /// <summary>Position in the log, from 1.</summary>
    public required long Seq { get; init; }

    /// <summary>When it happened (UTC).</summary>
    public required DateTime Time { get; init; }

    /// <summary>One of <see cref="AuditEventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>Host name.</summary>
    public required string Host { get; init; }

    /// <summary>Operating-system user.</summary>
    public required string User { get; init; }

    /// <summary>Process id.</summary>
    public required int Pid { get; init; }

    /// <summary>Haven version.</summary>
    public required string Version { get; init; }

    /// <summary>What the event is about: snapshot id, source path, sizes, results.</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    /// <summary>SHA-256 (hex) of the previous event's stored (encrypted) file; empty for the first event.</summary>
    public required string Previous { get; init; }

    /// <summary>HMAC-SHA256 (hex) under the audit key over every other field.</summary>
    public string Mac { get; init; } = "";
}

/// <summary>The kinds of audit event.</summary>
public static class AuditEventTypes
{
    /// <summary>A repository was created.</summary>
    public const string RepositoryCreated = "repository-created";

    /// <summary>A key slot was added.</summary>
    public const string KeySlotAdded = "key-slot-added";

    /// <summary>A key slot was removed.</summary>
    public const string KeySlotRemoved = "key-slot-removed";

    /// <summary>A backup began.</summary>
    public const string BackupStarted = "backup-started";

    /// <summary>A backup finished and its snapshot is listed.</summary>
    public const string BackupCompleted = "backup-completed";

    /// <summary>A backup failed; no snapshot was listed.</summary>
    public const string BackupFailed = "backup-failed";

    /// <summary>A restore began.</summary>
    public const string RestoreStarted = "restore-started";

    /// <summary>A restore put a verified copy in place.</summary>
    public const string RestoreCompleted = "restore-completed";

    /// <summary>A restore failed; the target was left as it was.</summary>
    public const string RestoreFailed = "restore-failed";

    /// <summary>A repository check ran (details: healthy, problems, read-data).</summary>
    public const string CheckCompleted = "check-completed";

    /// <summary>A drill ran (details: passed, RTO, failures).</summary>
    public const string DrillCompleted = "drill-completed";

    /// <summary>A stale lock was broken.</summary>
    public const string LockBroken = "lock-broken";

    /// <summary>The index was rebuilt from the packs.</summary>
    public const string IndexRebuilt = "index-rebuilt";

    /// <summary>An operation was refused (wrong secret, repository busy, database in use).</summary>
    public const string OperationRefused = "operation-refused";
}
