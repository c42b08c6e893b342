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

    /// <summary>PostgreSQL facts, for PostgreSQL sources.</summary>
    public PostgresInfo? Postgres { get; init; }

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
/// <param name="Kind">"sqlite", "postgres" or "file".</param>
/// <param name="Path">
/// Full path of the source when it was backed up; for PostgreSQL, postgres://user@host:port/database
/// (never with a password).
/// </param>
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

/// <summary>
/// PostgreSQL facts recorded at snapshot time. The content is pg_dump's custom-format archive, and
/// the row counts were taken inside the very snapshot pg_dump read, so they describe exactly what it
/// holds; every restore and drill checks them again.
/// </summary>
public sealed record PostgresInfo
{
    /// <summary>Server version, e.g. "15.18".</summary>
    public string ServerVersion { get; init; } = "";

    /// <summary>Version of the pg_dump that wrote the archive, e.g. "15.18".</summary>
    public string DumpToolVersion { get; init; } = "";

    /// <summary>Database name.</summary>
    public string Database { get; init; } = "";

    /// <summary>Owner of the database.</summary>
    public string Owner { get; init; } = "";

    /// <summary>Server encoding of the database, e.g. "UTF8" or "LATIN1".</summary>
    public string Encoding { get; init; } = "";

    /// <summary>LC_COLLATE of the database.</summary>
    public string Collate { get; init; } = "";

    /// <summary>LC_CTYPE of the database.</summary>
    public string Ctype { get; init; } = "";

    /// <summary>Collation provider: "c" (libc), "i" (ICU) or "d" (default); empty before PostgreSQL 15.</summary>
    public string LocaleProvider { get; init; } = "";

    /// <summary>ICU locale when the provider is ICU.</summary>
    public string? IcuLocale { get; init; }

    /// <summary>
    /// The database's own properties, which pg_dump's archive holds but pg_restore applies only when it
    /// creates the database itself: access privileges, settings, comment, connection limit.
    /// </summary>
    public DatabaseProperties Properties { get; init; } = new();

    /// <summary>Installed extensions and their versions.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; init; } = new Dictionary<string, string>();

    /// <summary>Rows per table ("schema"."table"), counted in the exported snapshot.</summary>
    public IReadOnlyDictionary<string, long> Tables { get; init; } = new Dictionary<string, long>();

    /// <summary>Number of large objects.</summary>
    public long LargeObjects { get; init; }

    /// <summary>SHA-256 over "oid sha256\n" of every large object in oid order; empty when there are none.</summary>
    public string LargeObjectsSha256 { get; init; } = "";

    /// <summary>Roles that own or hold privileges on objects of the database: a restore needs them.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The cluster's roles and tablespaces (pg_dumpall --globals-only), when requested.</summary>
    public GlobalsInfo? Globals { get; init; }
}

/// <summary>Properties of a PostgreSQL database itself (not of the objects in it).</summary>
public sealed record DatabaseProperties
{
    /// <summary>CONNECT, CREATE and TEMPORARY grants; null when the database has default privileges.</summary>
    public IReadOnlyList<DatabaseGrant>? Grants { get; init; }

    /// <summary>ALTER DATABASE ... SET and ALTER ROLE ... IN DATABASE ... SET settings.</summary>
    public IReadOnlyList<DatabaseSetting> Settings { get; init; } = [];

    /// <summary>COMMENT ON DATABASE, if any.</summary>
    public string? Comment { get; init; }

    /// <summary>Connection limit (-1: none).</summary>
    public int ConnectionLimit { get; init; } = -1;
}

/// <summary>A privilege on the database.</summary>
/// <param name="Grantee">Role name, or "" for PUBLIC.</param>
/// <param name="Privilege">CONNECT, CREATE or TEMPORARY.</param>
/// <param name="Grantable">Granted WITH GRANT OPTION.</param>
public sealed record DatabaseGrant(string Grantee, string Privilege, bool Grantable);

/// <summary>A configuration setting for the database.</summary>
/// <param name="Role">The role it applies to, or "" for every role.</param>
/// <param name="Name">Setting name, e.g. search_path.</param>
/// <param name="Value">Value as PostgreSQL stores it, e.g. "clinic, public".</param>
public sealed record DatabaseSetting(string Role, string Name, string Value);

/// <summary>Where a snapshot keeps the SQL of the cluster's roles and tablespaces.</summary>
/// <param name="Chunk">Chunk holding the SQL text.</param>
/// <param name="Size">Bytes of SQL.</param>
/// <param name="WithPasswords">Whether role passwords (hashes) are included; they need superuser rights.</param>
public sealed record GlobalsInfo(string Chunk, long Size, bool WithPasswords);

/// <summary>The snapshot's content.</summary>
public sealed record ContentInfo
{
    /// <summary>Bytes of the restored image.</summary>
    public long Size { get; init; }

    /// <summary>SHA-256 of the whole restored image, lower-case hex.</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>Bytes per page (block) of the page map; 0 when chunks are cut by content.</summary>
    public int BlockSize { get; init; }

    /// <summary>How a stream was cut into chunks (content-defined chunking), or null for fixed blocks.</summary>
    public string? Chunking { get; init; }

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
