namespace Haven.Core.Repository;

/// <summary>The repository's only clear-text settings: its format version and id.</summary>
public sealed record RepositoryConfig(int Format, string Id)
{
    /// <summary>The format this version of Haven writes and reads.</summary>
    public const int CurrentFormat = 1;
}
