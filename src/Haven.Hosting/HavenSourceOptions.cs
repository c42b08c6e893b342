namespace Haven.Hosting;

/// <summary>One source to protect: a SQLite database, a file tree or a PostgreSQL database.</summary>
public sealed class HavenSourceOptions
{
    /// <summary>One of <see cref="SourceKinds"/>: <c>sqlite</c>, <c>files</c> or <c>postgres</c>.</summary>
    public string? Kind { get; set; }

    /// <summary>The database file (<c>sqlite</c>) or folder (<c>files</c>).</summary>
    public string? Path { get; set; }

    /// <summary>The connection string (<c>postgres</c>). Never logged: it may hold a password.</summary>
    public string? Connection { get; set; }
}
