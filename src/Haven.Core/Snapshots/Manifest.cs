namespace Haven.Core.Snapshots;

/// <summary>
/// What a snapshot records about itself. Stored encrypted under snapshots/ID, written last, after
/// every chunk it needs is durable.
/// </summary>
public sealed record Manifest
{
    /// <summary>Snapshot id: 32 lower-case hex characters.</summary>
    public required string Id { get; init; }

    /// <summary>When the snapshot's consistent view was taken (UTC).</summary>
    public required DateTime Time { get; init; }

    /// <summary>Why it was taken: launch, critical-operation, schedule, manual, pre-restore, import.</summary>
    public required string Trigger { get; init; }

    /// <summary>Free text from the caller, e.g. "patient 42 deleted".</summary>
    public string? Reason { get; init; }

    /// <summary>Labels given by the operator.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Host that took the snapshot.</summary>
    public required string Host { get; init; }

    /// <summary>Version of Haven that took it.</summary>
    public required string ToolVersion { get; init; }

    /// <summary>The source that was backed up.</summary>
    public required SourceInfo Source { get; init; }

    /// <summary>SQLite facts, for SQLite sources.</summary>
    public SqliteInfo? Sqlite { get; init; }

    /// <summary>The content: size, digest and page map.</summary>
    public required ContentInfo Content { get; init; }

    /// <summary>What this snapshot cost the repository.</summary>
    public required SnapshotStats Stats { get; init; }

    /// <summary>
    /// The audit log's last event when the snapshot was written, so that truncating the log is detectable.
    /// </summary>
    public AuditHead? AuditHead { get; init; }
}

/// <summary>An audit log position: event number and the SHA-256 of its stored form.</summary>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>Which source a snapshot is of.</summary>
/// <param name="Kind">"sqlite" or "file".</param>
/// <param name="Path">Full path of the source when it was backed up.</param>
/// <param name="Name">Short name (file name), used to group snapshots of one source.</param>
public sealed record SourceInfo(string Kind, string Path, string Name);

/// <summary>SQLite facts recorded at snapshot time, checked again on every restore and drill.</summary>
public sealed record SqliteInfo
{
    /// <summary>Page size in bytes.</summary>
    public int PageSize { get; init; }

    /// <summary>Number of pages in the consistent view.</summary>
    public long PageCount { get; init; }

    /// <summary>Journal mode of the source ("wal", "delete", ...).</summary>
    public string JournalMode { get; init; } = "";

    /// <summary>PRAGMA user_version (apps use it as their schema version).</summary>
    public long UserVersion { get; init; }

    /// <summary>SHA-256 over sqlite_master (type, name, table, sql), ordered.</summary>
    public string SchemaHash { get; init; } = "";

    /// <summary>Rows per table, counted inside the snapshot's own read transaction.</summary>
    public IReadOnlyDictionary<string, long> Tables { get; init; } = new Dictionary<string, long>();
}

/// <summary>The snapshot's content.</summary>
public sealed record ContentInfo
{
    /// <summary>Bytes of the restored image.</summary>
    public long Size { get; init; }

    /// <summary>SHA-256 of the whole restored image, lower-case hex.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>Bytes per page (block) of the page map.</summary>
    public int BlockSize { get; init; }

    /// <summary>Number of pages (blocks) in the page map.</summary>
    public long Blocks { get; init; }

    /// <summary>Root chunk of the page map tree; empty when the content is empty.</summary>
    public string PageMapRoot { get; init; } = "";

    /// <summary>Levels of tree nodes above the pages (1 = the root lists pages).</summary>
    public int PageMapDepth { get; init; }
}

/// <summary>Sizes and timing of one snapshot.</summary>
public sealed record SnapshotStats
{
    /// <summary>Bytes this snapshot added to the repository (packs, index, manifest).</summary>
    public long AddedBytes { get; init; }

    /// <summary>Chunks stored for the first time by this snapshot.</summary>
    public long NewChunks { get; init; }

    /// <summary>Pages (blocks) in the snapshot.</summary>
    public long Chunks { get; init; }

    /// <summary>Wall time of the backup in seconds.</summary>
    public double DurationSeconds { get; init; }
}
