namespace Haven.Hosting;

/// <summary>The kinds of source the configuration contract names.</summary>
public static class SourceKinds
{
    /// <summary>A SQLite database file, snapshotted consistently while the app writes.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>A file tree. Accepted by the contract; not supported by Haven.Hosting yet.</summary>
    public const string Files = "files";

    /// <summary>A PostgreSQL database. Accepted by the contract; not supported by Haven.Hosting yet.</summary>
    public const string Postgres = "postgres";

    /// <summary>Every kind the configuration accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [Sqlite, Files, Postgres];
}
