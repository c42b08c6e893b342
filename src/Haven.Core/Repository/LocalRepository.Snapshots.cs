using System.Security.Cryptography;
using System.Text.Json;
using Haven.Core.Snapshots;

namespace Haven.Core.Repository;

/// <summary>Snapshots: manifests stored encrypted under snapshots/ID.</summary>
public sealed partial class LocalRepository
{
    private const string SnapshotType = "snapshot";

    /// <summary>Shortest id prefix accepted when naming a snapshot.</summary>
    public const int MinimumIdPrefix = 8;

    /// <summary>A new random snapshot id.</summary>
    public static string NewSnapshotId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Ids of all snapshots, in name order.</summary>
    public IReadOnlyList<string> SnapshotIds() => [.. ListObjects(SnapshotsDirectory)];

    /// <summary>Stores a manifest. Called last, once everything the snapshot needs is durable.</summary>
    internal long WriteSnapshot(Manifest manifest)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJson.Default.Manifest);
        return WriteObject(SnapshotsDirectory, SnapshotType, manifest.Id, json);
    }

    /// <summary>Reads and authenticates one manifest.</summary>
    public Manifest ReadSnapshot(string id)
    {
        string where = $"Snapshot {id}";
        byte[] json = ReadObject(SnapshotsDirectory, SnapshotType, id, where);
        try
        {
            var manifest = JsonSerializer.Deserialize(json, RepositoryJson.Default.Manifest);
            if (manifest is null || manifest.Id != id)
            {
                throw new IntegrityException($"{where} is damaged: its manifest names another snapshot.");
            }

            return manifest;
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{where} is damaged: its manifest does not parse.", inner: e);
        }
    }

    /// <summary>All manifests, oldest first.</summary>
    public IReadOnlyList<Manifest> Snapshots() =>
        [.. SnapshotIds().Select(ReadSnapshot).OrderBy(m => m.Time).ThenBy(m => m.Id, StringComparer.Ordinal)];

    /// <summary>
    /// Finds a snapshot by full id, unique prefix of at least 8 characters, or "latest" (optionally the
    /// latest of one source). Throws <see cref="UsageException"/> when unknown or ambiguous.
    /// </summary>
    public Manifest ResolveSnapshot(string spec, string? sourceName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        if (spec == "latest")
        {
            var latest = Snapshots()
                .Where(m => sourceName is null || m.Source.Name == sourceName || m.Source.Path == sourceName)
                .LastOrDefault();
            return latest ?? throw new UsageException(
                sourceName is null ? "The repository holds no snapshots yet." : $"The repository holds no snapshots of '{sourceName}'.",
                "Take one with 'haven backup sqlite PATH'.");
        }

        if (spec.Length < MinimumIdPrefix)
        {
            throw new UsageException(
                $"Snapshot id '{spec}' is too short; give at least {MinimumIdPrefix} characters.",
                "'haven snapshots' lists the ids.");
        }

        var matches = SnapshotIds().Where(id => id.StartsWith(spec, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => ReadSnapshot(matches[0]),
            0 => throw new UsageException($"No snapshot has an id starting with '{spec}'.", "'haven snapshots' lists the ids."),
            _ => throw new UsageException(
                $"Snapshot id '{spec}' is ambiguous: it starts {matches.Count} ids ({string.Join(", ", matches.Take(3))}).",
                "Give more characters of the id."),
        };
    }
}
