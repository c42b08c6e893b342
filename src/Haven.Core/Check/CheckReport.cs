namespace Haven.Core.Check;

/// <summary>The outcome of a repository check.</summary>
public sealed class CheckReport
{
    /// <summary>Damage found: each names an object and what is wrong with it.</summary>
    public List<CheckProblem> Problems { get; } = [];

    /// <summary>Things worth knowing that are not damage (e.g. packs no index lists).</summary>
    public List<string> Notes { get; } = [];

    /// <summary>Snapshots that cannot be restored because of the problems, with the reason.</summary>
    public SortedDictionary<string, string> DamagedSnapshots { get; } = new(StringComparer.Ordinal);

    /// <summary>Number of snapshots examined.</summary>
    public int Snapshots { get; set; }

    /// <summary>Number of pack files examined.</summary>
    public int Packs { get; set; }

    /// <summary>Number of chunks examined.</summary>
    public long Chunks { get; set; }

    /// <summary>Bytes of pack data read and verified (with --read-data).</summary>
    public long BytesVerified { get; set; }

    /// <summary>Audit events whose chain verified.</summary>
    public long AuditEvents { get; set; }

    /// <summary>Whether every byte of pack data was decrypted and verified.</summary>
    public bool ReadData { get; set; }

    /// <summary>True when nothing is damaged.</summary>
    public bool Healthy => Problems.Count == 0 && DamagedSnapshots.Count == 0;
}

/// <summary>One damaged object.</summary>
/// <param name="ObjectName">The repository file, relative to the repository (e.g. data/ab/abcd...).</param>
/// <param name="Message">What is wrong.</param>
public sealed record CheckProblem(string ObjectName, string Message);
