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

    /// <summary>How many bytes the manifest will take when stored.</summary>
    internal static long SnapshotObjectBytes(Manifest manifest)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJson.Default.Manifest);
        return Compression.Zstd.Compress(json).Count + Crypto.ObjectCipher.Overhead;
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

    /// <summary>All manifests, oldest first. Throws <see cref="IntegrityException"/> if any is damaged.</summary>
    public IReadOnlyList<Manifest> Snapshots()
    {
        var (manifests, damaged) = ReadAllSnapshots();
        return damaged.Count > 0 ? throw damaged[0] : manifests;
    }

    /// <summary>The readable manifests, oldest first, and a failure for each damaged one.</summary>
    public (IReadOnlyList<Manifest> Manifests, IReadOnlyList<IntegrityException> Damaged) ReadAllSnapshots()
    {
        var manifests = new List<Manifest>();
        var damaged = new List<IntegrityException>();
        foreach (string id in SnapshotIds())
        {
            try
            {
                manifests.Add(ReadSnapshot(id));
            }
            catch (IntegrityException e)
            {
                damaged.Add(e);
            }
        }

        return ([.. manifests.OrderBy(m => m.Time).ThenBy(m => m.Id, StringComparer.Ordinal)], damaged);
    }

    /// <summary>
    /// Finds a snapshot by full id or unique prefix of at least 8 characters, or "latest": the
    /// newest snapshot, other than pre-restore ones, of one source. The source is
    /// <paramref name="source"/> (full path, or file name when only one source has it), else the
    /// source whose path is <paramref name="target"/>, else the repository's only source.
    /// Throws <see cref="UsageException"/> when unknown or ambiguous.
    /// </summary>
    public Manifest ResolveSnapshot(string spec, string? source = null, string? target = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        if (spec == "latest")
        {
            return ResolveLatest(source, target);
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
            0 => throw new UsageException(
                $"No snapshot has an id starting with '{spec}'.",
                "'haven snapshots' lists the ids."),
            _ => throw new UsageException(
                $"Snapshot id '{spec}' is ambiguous: it starts {matches.Count} " +
                $"ids ({string.Join(", ", matches.Take(3))}).",
                "Give more characters of the id."),
        };
    }

    private Manifest ResolveLatest(string? source, string? target)
    {
        var (manifests, damaged) = ReadAllSnapshots();
        if (damaged.Count > 0)
        {
            throw new IntegrityException(
                $"{damaged[0].Message} It might be the latest, so 'latest' cannot be resolved safely.",
                "Name a snapshot by its id ('haven snapshots' lists the readable ones), and run 'haven check'.");
        }

        var candidates = manifests.Where(m => m.Trigger != Backup.Triggers.PreRestore).ToList();
        var paths = candidates.Select(m => m.Source.Path).Distinct(StringComparer.Ordinal).ToList();
        string? path = source is not null ? SourcePath(candidates, paths, source)
            : target is not null && paths.Contains(Path.GetFullPath(target)) ? Path.GetFullPath(target)
            : paths.Count == 1 ? paths[0]
            : paths.Count == 0 ? null
            : throw new UsageException(
                $"The repository holds snapshots of {paths.Count} sources " +
                $"({string.Join(", ", paths.Take(4))}); 'latest' needs to know which.",
                "Name one with --source PATH, or give a snapshot id.");
        var latest = candidates.LastOrDefault(m => m.Source.Path == path);
        return latest ?? throw new UsageException(
            source is null
                ? "The repository holds no snapshots yet (other than pre-restore ones)."
                : $"The repository holds no snapshots of '{source}'.",
            "Take one with 'haven backup sqlite PATH' or 'haven backup postgres'; pre-restore snapshots are " +
            "restored by their id.");
    }

    /// <summary>
    /// The one source path that <paramref name="source"/> names: a source path as listed (a file's full
    /// path, a PostgreSQL database's postgres://host:port/name), a relative file path, or a name (file
    /// name or database name) only one source has.
    /// </summary>
    private static string? SourcePath(List<Manifest> candidates, List<string> paths, string source)
    {
        if (paths.Contains(source))
        {
            return source;
        }

        if (!source.Contains("://", StringComparison.Ordinal) && paths.Contains(Path.GetFullPath(source)))
        {
            return Path.GetFullPath(source);
        }

        var byName = candidates
            .Where(m => m.Source.Name == source || Path.GetFileName(m.Source.Path) == source)
            .Select(m => m.Source.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return byName.Count switch
        {
            0 => null,
            1 => byName[0],
            _ => throw new UsageException(
                $"Several sources are named '{source}' ({string.Join(", ", byName)}).",
                "Give the full path with --source."),
        };
    }
}
