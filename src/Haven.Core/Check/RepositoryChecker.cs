using Haven.Core.Backup;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Check;

/// <summary>
/// Checks a repository: the clear files, every index file, that every indexed pack exists with its
/// recorded size, and that every chunk of every snapshot is indexed. With read-data, every pack is
/// decrypted and every chunk verified against its id. Each problem names the damaged object and
/// each snapshot it affects.
/// </summary>
public static class RepositoryChecker
{
    /// <summary>Runs the check. Never throws for damage: it is reported.</summary>
    public static CheckReport Run(LocalRepository repository, bool readData, IProgress<Progress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var report = new CheckReport { ReadData = readData };
        foreach (string folder in new[] { "keys", "data", "index", "snapshots" })
        {
            if (!Directory.Exists(Path.Combine(repository.Root, folder)))
            {
                report.Problems.Add(new CheckProblem(folder + "/", $"The repository's '{folder}' folder is missing."));
            }
        }

        var damagedChunks = new HashSet<ChunkId>();
        CheckKeySlots(repository, report);
        var indexed = CheckIndexFiles(repository, report);
        CheckPacks(repository, report, indexed, damagedChunks, readData, progress);
        CheckSnapshots(repository, report, damagedChunks, BuildIndex(indexed));
        var audit = Audit.AuditVerifier.Verify(repository);
        report.AuditEvents = audit.Events;
        if (!audit.Intact)
        {
            report.Problems.Add(
                new CheckProblem($"audit/{Audit.AuditLog.FileName(audit.FirstBadEvent ?? 0)}", audit.Problem!));
        }

        repository.Audit.Append(Audit.AuditEventTypes.CheckCompleted, new Dictionary<string, string>
        {
            ["healthy"] = report.Healthy ? "true" : "false",
            ["readData"] = readData ? "true" : "false",
            ["snapshots"] = report.Snapshots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["damagedObjects"] = string.Join(" ", report.Problems.Select(p => p.ObjectName)),
            ["damagedSnapshots"] = string.Join(" ", report.DamagedSnapshots.Keys),
        });
        return report;
    }

    private static void CheckKeySlots(LocalRepository repository, CheckReport report)
    {
        foreach (var damaged in LocalRepository.ReadKeySlots(repository.Root).Damaged)
        {
            report.Problems.Add(new CheckProblem("keys/", damaged.Message));
        }
    }

    private static Dictionary<string, (long Size, List<PackEntry> Entries)> CheckIndexFiles(
        LocalRepository repository,
        CheckReport report)
    {
        var packs = new Dictionary<string, (long, List<PackEntry>)>(StringComparer.Ordinal);
        foreach (string name in repository.IndexFiles())
        {
            try
            {
                foreach (var (pack, size, entries) in repository.ReadIndexFile(name))
                {
                    packs[pack] = (size, entries);
                }
            }
            catch (IntegrityException e)
            {
                report.Problems.Add(new CheckProblem($"index/{name}", e.Message));
            }
        }

        return packs;
    }

    private static void CheckPacks(
        LocalRepository repository,
        CheckReport report,
        Dictionary<string, (long Size, List<PackEntry> Entries)> indexed,
        HashSet<ChunkId> damagedChunks,
        bool readData,
        IProgress<Progress>? progress)
    {
        var present = repository.PackFiles().ToDictionary(p => p.Pack, p => p.Path, StringComparer.Ordinal);
        report.Packs = present.Count;
        int done = 0;
        foreach (var (pack, (size, entries)) in indexed)
        {
            string name = $"data/{pack[..2]}/{pack}";
            report.Chunks += entries.Count;
            string? problem = !present.TryGetValue(pack, out string? path) ? "is missing"
                : new FileInfo(path).Length != size ? $"has {new FileInfo(path).Length} bytes, the index says {size}"
                : null;
            if (problem is null && readData)
            {
                problem = VerifyPack(repository, pack, path!, entries, report);
            }

            if (problem is not null)
            {
                report.Problems.Add(new CheckProblem(name, $"this pack {problem.TrimEnd('.')}."));
                damagedChunks.UnionWith(entries.Select(e => e.Id));
            }

            progress?.Report(new Progress(readData ? "read-data" : "check", ++done, indexed.Count));
        }

        foreach (string pack in present.Keys.Where(p => !indexed.ContainsKey(p)))
        {
            report.Notes.Add(
                $"Pack {pack} is listed in no index: either an interrupted backup left it, or an index file was lost. "
                + "Do not delete it; 'haven rebuild-index' makes its chunks usable again.");
        }
    }

    /// <summary>Decrypts every frame of a pack and verifies every chunk; returns what is wrong, or null.</summary>
    private static string? VerifyPack(
        LocalRepository repository,
        string pack,
        string path,
        List<PackEntry> indexEntries,
        CheckReport report)
    {
        try
        {
            var entries = PackFormat.ReadHeader(path, pack, repository.Cipher);
            if (entries.Count != indexEntries.Count
                || !entries.Select(e => e.Id).ToHashSet().SetEquals(indexEntries.Select(e => e.Id)))
            {
                return "lists other chunks than the index";
            }

            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            byte[] key = repository.ChunkIdKey.ToArray();
            foreach (var frame in entries.GroupBy(e => (e.FrameOffset, e.FrameLength)))
            {
                byte[] sealedFrame = new byte[frame.Key.FrameLength];
                RandomAccess.Read(handle, sealedFrame, frame.Key.FrameOffset);
                string where = $"Pack {pack} (frame at {frame.Key.FrameOffset})";
                byte[] plain = Compression.Zstd.Decompress(
                    repository.Cipher.Open(
                        PackFormat.FrameType,
                        PackFormat.FrameName(pack, frame.Key.FrameOffset),
                        sealedFrame,
                        where),
                    where);
                foreach (var entry in frame)
                {
                    if (entry.OffsetInFrame + entry.Length > plain.Length
                        || ChunkId.Compute(key, plain.AsSpan(entry.OffsetInFrame, entry.Length)) != entry.Id)
                    {
                        return $"holds chunk {entry.Id} whose content does not match its id";
                    }
                }

                report.BytesVerified += sealedFrame.Length;
            }

            return null;
        }
        catch (IntegrityException e)
        {
            return "is damaged: " + e.Message;
        }
    }

    /// <summary>
    /// The index as the readable index files describe it; a damaged index file is a problem, not a stop.
    /// </summary>
    private static ChunkIndex BuildIndex(Dictionary<string, (long Size, List<PackEntry> Entries)> indexed) =>
        ChunkIndex.Build(indexed.Select(p => (p.Key, (IReadOnlyList<PackEntry>)p.Value.Entries)));

    private static void CheckSnapshots(
        LocalRepository repository,
        CheckReport report,
        HashSet<ChunkId> damagedChunks,
        ChunkIndex index)
    {
        using var reader = new ChunkReader(repository, index);
        foreach (string id in repository.SnapshotIds())
        {
            report.Snapshots++;
            Manifest manifest;
            try
            {
                manifest = repository.ReadSnapshot(id);
            }
            catch (IntegrityException e)
            {
                report.Problems.Add(new CheckProblem($"snapshots/{id}", e.Message));
                report.DamagedSnapshots[id] = "its manifest is damaged";
                continue;
            }

            string? reason = CheckPageMap(reader, manifest, index, damagedChunks);
            if (reason is not null)
            {
                report.DamagedSnapshots[id] = reason;
            }
        }
    }

    private static string? CheckPageMap(
        ChunkReader reader, Manifest manifest, ChunkIndex index, HashSet<ChunkId> damaged)
    {
        try
        {
            foreach (var chunk in Chunks(reader, manifest))
            {
                if (!index.TryGetValue(chunk, out var location))
                {
                    return $"chunk {chunk} is missing";
                }

                if (damaged.Contains(chunk))
                {
                    return $"chunk {chunk} is in a damaged pack ({location.Pack})";
                }
            }
        }
        catch (IntegrityException e)
        {
            return e.Message;
        }

        return null;
    }

    /// <summary>
    /// Every chunk a snapshot needs: its page map's nodes and pages, and a PostgreSQL snapshot's globals.
    /// </summary>
    private static IEnumerable<ChunkId> Chunks(ChunkReader reader, Manifest manifest)
    {
        if (manifest.Postgres?.Globals is { } globals)
        {
            yield return ChunkId.Parse(globals.Chunk);
        }

        if (manifest.Content.Blocks == 0)
        {
            yield break;
        }

        var root = ChunkId.Parse(manifest.Content.PageMapRoot);
        foreach (var chunk in PageMap.Nodes(reader, root, manifest.Content.PageMapDepth))
        {
            yield return chunk;
        }
    }
}
