namespace Haven.Synthetic;

/// <summary>
/// Shape of a synthetic copy of the host application's clinical SQLite database.
/// </summary>
/// <remarks>
/// Every value has a default, so <c>new ClinicalDatabaseOptions()</c> describes a 16 MiB WAL
/// database with 4 KiB pages. The same options always produce the same row contents.
/// </remarks>
public sealed record ClinicalDatabaseOptions
{
    /// <summary>
    /// The most markers one database can carry. Markers live in the first rows of
    /// <c>mood_logs</c> and <c>chat_history</c>, and random updates never touch rows with ids up
    /// to this number, so a planted marker stays in the live file.
    /// </summary>
    public const int MaxMarkers = 64;

    /// <summary>
    /// Approximate size of the finished file in bytes; generation stops at the first size check
    /// past it, so the file may be up to about 100 KB larger. Default 16 MiB.
    /// </summary>
    public long TargetBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Seed for all generated content. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// <see langword="true"/> leaves the file in <c>journal_mode=WAL</c>, <see langword="false"/>
    /// in <c>journal_mode=DELETE</c>. Default <see langword="true"/>, as the host app runs.
    /// </summary>
    public bool Wal { get; init; } = true;

    /// <summary>SQLite page size in bytes: a power of two from 512 to 65536. Default 4096.</summary>
    public int PageSize { get; init; } = 4096;

    /// <summary>
    /// Strings planted verbatim inside <c>mood_logs.notes</c> (one row each) and
    /// <c>chat_history.message</c> (one row each), so tests can search backup files for them as
    /// plaintext leaks. At most <see cref="MaxMarkers"/>; none may be empty. Default empty.
    /// </summary>
    public IReadOnlyList<string> Markers { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> when a value is out of range.</summary>
    internal void Validate()
    {
        if (TargetBytes <= 0)
        {
            throw new ArgumentException($"TargetBytes must be positive, not {TargetBytes}.", nameof(TargetBytes));
        }

        if (PageSize < 512 || PageSize > 65536 || (PageSize & (PageSize - 1)) != 0)
        {
            throw new ArgumentException(
                $"PageSize must be a power of two from 512 to 65536, not {PageSize}.", nameof(PageSize));
        }

        ArgumentNullException.ThrowIfNull(Markers, nameof(Markers));
        if (Markers.Count > MaxMarkers)
        {
            throw new ArgumentException(
                $"At most {MaxMarkers} markers are supported, not {Markers.Count}.", nameof(Markers));
        }

        if (Markers.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Markers must not be null or empty.", nameof(Markers));
        }
    }
}
