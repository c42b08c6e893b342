namespace Haven.Core.Report;

/// <summary>
/// Compliance evidence generated from the repository and its audit log alone: what is protected,
/// how often, how well restores work, how the data is protected, and for each claim a compliance
/// document makes about backups, whether the recorded facts support it.
/// </summary>
public sealed record ComplianceReport
{
    /// <summary>When the report was generated (UTC).</summary>
    public required DateTime Generated { get; init; }

    /// <summary>Start of the period covered (UTC).</summary>
    public required DateTime PeriodStart { get; init; }

    /// <summary>Days covered.</summary>
    public required int Days { get; init; }

    /// <summary>Repository id.</summary>
    public required string Repository { get; init; }

    /// <summary>One entry per protected source.</summary>
    public required IReadOnlyList<SourceEvidence> Sources { get; init; }

    /// <summary>Failed backups in the period.</summary>
    public required IReadOnlyList<EventRef> FailedBackups { get; init; }

    /// <summary>How the repository is encrypted.</summary>
    public required EncryptionEvidence Encryption { get; init; }

    /// <summary>Retention: the policy and what it removed.</summary>
    public required string Retention { get; init; }

    /// <summary>Whether the audit chain verifies, and its length.</summary>
    public required AuditEvidence Audit { get; init; }

    /// <summary>Open erasure-ledger items (data subjects whose erasure must be re-applied after a restore).</summary>
    public required int OpenErasures { get; init; }

    /// <summary>The targets the evidence was measured against.</summary>
    public required Configuration.TargetSettings Targets { get; init; }

    /// <summary>Each claim and whether the evidence supports it.</summary>
    public required IReadOnlyList<ClaimEvidence> Claims { get; init; }

    /// <summary>True when no claim is unsupported.</summary>
    public bool AllSupported => Claims.All(c => c.Status != ClaimStatus.Unsupported);
}

/// <summary>Evidence about one source.</summary>
public sealed record SourceEvidence
{
    /// <summary>Full path of the source.</summary>
    public required string Source { get; init; }

    /// <summary>Successful backups in the period.</summary>
    public required int Backups { get; init; }

    /// <summary>Successful backups per UTC day (yyyy-MM-dd), every day of the period listed.</summary>
    public required IReadOnlyDictionary<string, int> BackupsPerDay { get; init; }

    /// <summary>Time of the last successful backup, if any.</summary>
    public DateTime? LastBackup { get; init; }

    /// <summary>
    /// Largest gap in hours between consecutive successful backups, or since the last one until the
    /// report (the observed RPO).
    /// </summary>
    public double? LargestGapHours { get; init; }

    /// <summary>Time of the last drill that passed.</summary>
    public DateTime? LastPassedDrill { get; init; }

    /// <summary>Recovery time shown by that drill, in seconds.</summary>
    public double? LastDrillRtoSeconds { get; init; }

    /// <summary>Drills that failed in the period.</summary>
    public int FailedDrills { get; init; }
}

/// <summary>An audit event cited as evidence.</summary>
/// <param name="Seq">Event number.</param>
/// <param name="Time">When.</param>
/// <param name="Type">Event type.</param>
/// <param name="Summary">What it says, in short.</param>
public sealed record EventRef(long Seq, DateTime Time, string Type, string Summary);

/// <summary>Encryption facts.</summary>
public sealed record EncryptionEvidence
{
    /// <summary>The cipher of every object.</summary>
    public string Cipher { get; init; } = "AES-256-GCM (authenticated; object type and name bound as associated data)";

    /// <summary>How chunks are named.</summary>
    public string ChunkIds { get; init; } = "HMAC-SHA256 under a key derived with HKDF-SHA256";

    /// <summary>Each key slot: id, kind, KDF and parameters, when added.</summary>
    public required IReadOnlyList<string> KeySlots { get; init; }
}

/// <summary>Audit chain status.</summary>
/// <param name="Intact">True when the chain verifies.</param>
/// <param name="Events">Events verified.</param>
/// <param name="Problem">What is wrong, if anything.</param>
public sealed record AuditEvidence(bool Intact, long Events, string? Problem);

/// <summary>One claim, the rules it answers, and the facts for or against it.</summary>
public sealed record ClaimEvidence
{
    /// <summary>The claim as a compliance document would make it.</summary>
    public required string Claim { get; init; }

    /// <summary>The rules it answers: UK GDPR articles, NHS DSPT, ISO/IEC 27001:2022.</summary>
    public required string Rules { get; init; }

    /// <summary>Supported, unsupported, or not evaluated here.</summary>
    public required ClaimStatus Status { get; init; }

    /// <summary>Why, in one or two sentences.</summary>
    public required string Finding { get; init; }

    /// <summary>The audit events that prove it (or show the gap).</summary>
    public IReadOnlyList<EventRef> Evidence { get; init; } = [];
}

/// <summary>Whether the evidence supports a claim.</summary>
public enum ClaimStatus
{
    /// <summary>The recorded facts support the claim.</summary>
    Supported,

    /// <summary>The recorded facts do not support the claim.</summary>
    Unsupported,

    /// <summary>Haven holds no facts about it (e.g. no policy configured); evidence must come from elsewhere.</summary>
    NotEvaluated,
}
