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

    /// <summary>
    /// What the files looked like inside the snapshot's read transaction, so that a later backup
    /// can prove the database unchanged without reading it (null where it could not be observed).
    /// </summary>
    public SourceEvidence? Evidence { get; init; }
}

/// <summary>
/// Evidence that a SQLite database has not changed since a snapshot, observed inside the
/// snapshot's read transaction. See docs/design.md, "Unchanged databases".
/// </summary>
public sealed record SourceEvidence
{
    /// <summary>Device and inode of the main file: a replaced file is another file.</summary>
    public ulong Device { get; init; }

    /// <inheritdoc cref="Device"/>
    public ulong Inode { get; init; }

    /// <summary>Size of the main file in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Modification time of the main file (nanoseconds since 1970, UTC).</summary>
    public long ModifiedNs { get; init; }

    /// <summary>
    /// Status change time of the main file (nanoseconds since 1970, UTC); no program can set it back.
    /// </summary>
    public long ChangedNs { get; init; }

    /// <summary>The header's file change counter, which every commit in rollback-journal mode increments.</summary>
    public uint ChangeCounter { get; init; }

    /// <summary>The write-ahead log's salts (zero without a log): they change whenever the log restarts.</summary>
    public uint WalSalt1 { get; init; }

    /// <inheritdoc cref="WalSalt1"/>
    public uint WalSalt2 { get; init; }

    /// <summary>The log's last commit frame that the snapshot saw (its mxFrame), 0 without a log.</summary>
    public long WalFrames { get; init; }

    /// <summary>The log's cumulative checksum at that frame, covering every frame before it.</summary>
    public uint WalChecksum1 { get; init; }

    /// <inheritdoc cref="WalChecksum1"/>
    public uint WalChecksum2 { get; init; }

    /// <summary>Whether pages were read from the log (false when every frame was already in the main file).</summary>
    public bool WalUsed { get; init; }

    /// <summary>When these facts were observed, by the same clock as the file times.</summary>
    public DateTime ObservedAt { get; init; }

    /// <summary>Whether <c>PRAGMA quick_check</c> passed on this content.</summary>
    public bool Checked { get; init; }

    /// <summary>True when both describe the same files in the same state (times of observation aside).</summary>
    public bool SameFiles(SourceEvidence other) =>
        other is not null
        && this with { ObservedAt = default, Checked = false } == other with { ObservedAt = default, Checked = false };
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

    /// <summary>
    /// Pages (blocks) read from the source: all of them, or none when the database was proven
    /// unchanged since an earlier snapshot, whose content this one then shares.
    /// </summary>
    public long PagesRead { get; init; }

    /// <summary>Wall time of the backup in seconds.</summary>
    public double DurationSeconds { get; init; }
}
