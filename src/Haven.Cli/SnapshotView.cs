using Haven.Core.Snapshots;

namespace Haven.Cli;

/// <summary>The JSON shape of a snapshot in listings: the stable fields scripts rely on.</summary>
internal sealed record SnapshotView(
    string Id,
    DateTime Time,
    string Source,
    string SourcePath,
    string Kind,
    string Trigger,
    string? Reason,
    IReadOnlyList<string> Tags,
    long Size,
    long AddedBytes,
    string Sha256,
    IReadOnlyDictionary<string, long>? Tables)
{
    public static SnapshotView From(Manifest m) => new(
        m.Id, m.Time, m.Source.Name, m.Source.Path, m.Source.Kind, m.Trigger, m.Reason, m.Tags,
        m.Content.Size, m.Stats.AddedBytes, m.Content.Sha256, m.Sqlite?.Tables ?? m.Postgres?.Tables);
}
