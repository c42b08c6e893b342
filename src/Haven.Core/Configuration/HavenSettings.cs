namespace Haven.Core.Configuration;

/// <summary>
/// Operator settings kept beside the repository (haven.json), never inside it: smoke queries name
/// tables, and nothing in a repository may.
/// </summary>
public sealed record HavenSettings
{
    /// <summary>How drills run.</summary>
    public DrillSettings Drill { get; init; } = new();

    /// <summary>What the compliance report holds the evidence against.</summary>
    public TargetSettings Targets { get; init; } = new();
}

/// <summary>Drill settings.</summary>
public sealed record DrillSettings
{
    /// <summary>
    /// Folder under which drills make their private scratch folder (default: the system temp folder).
    /// </summary>
    public string? Scratch { get; init; }

    /// <summary>Queries that must return a given value on a restored copy.</summary>
    public IReadOnlyList<SmokeQuery> SmokeQueries { get; init; } = [];

    /// <summary>
    /// PostgreSQL server (connection string or postgres:// URL, best without a password: Haven also reads
    /// PGPASSWORD and ~/.pgpass) where drills of PostgreSQL snapshots restore into a scratch database that
    /// is dropped afterwards. The database named in it is only used to connect.
    /// </summary>
    public string? Postgres { get; init; }

    /// <summary>Folder holding pg_restore for PostgreSQL drills; found automatically when null.</summary>
    public string? PostgresTools { get; init; }
}

/// <summary>
/// A query that must return <see cref="Expect"/> (first column of the first row, as text) on a restored copy.
/// </summary>
public sealed record SmokeQuery
{
    /// <summary>Short description, e.g. "every mood log has a user".</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The source it applies to (file name or full path, or a PostgreSQL database's name); null for every
    /// SQLite source.
    /// </summary>
    public string? Source { get; init; }

    /// <summary>SQL run read-only on the restored copy.</summary>
    public required string Sql { get; init; }

    /// <summary>Expected value of the first column of the first row, as text ("" for NULL or no row).</summary>
    public required string Expect { get; init; }
}

/// <summary>Targets the evidence is measured against.</summary>
public sealed record TargetSettings
{
    /// <summary>Largest acceptable gap between successful backups of a source, in hours (default 24).</summary>
    public double RpoHours { get; init; } = 24;

    /// <summary>Longest acceptable restore time in a drill, in seconds (default 900).</summary>
    public double RtoSeconds { get; init; } = 900;

    /// <summary>Age after which a source's last successful drill no longer counts, in days (default 7).</summary>
    public double DrillMaxAgeDays { get; init; } = 7;
}
