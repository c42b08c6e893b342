using System.Security.Cryptography;
using Haven.Core.Chunking;

namespace Haven.Core.Repository;

/// <summary>The index: chunk id to pack location, loaded from index files, rebuildable from packs.</summary>
public sealed partial class LocalRepository
{
    private const string IndexType = "index";

    /// <summary>Where every indexed chunk lives. Loaded on first use.</summary>
    internal ChunkIndex Index => _index ??= LoadIndex();

    /// <summary>Pack sizes recorded in the index files.</summary>
    internal Dictionary<string, long> IndexedPackSizes { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of the index files.</summary>
    internal IEnumerable<string> IndexFiles() => ListObjects(IndexDirectory);

    private ChunkIndex LoadIndex() => ChunkIndex.Build(IndexedPacks());

    /// <summary>Every pack the index files list, with its entries, reading one index file at a time.</summary>
    private IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> IndexedPacks()
    {
        foreach (string name in IndexFiles())
        {
            List<(string Pack, long Size, List<PackEntry> Entries)> packs;
            try
            {
                packs = ReadIndexFile(name);
            }
            catch (IntegrityException e)
            {
                throw new IntegrityException(
                    e.Message,
                    "The index can be rebuilt from the packs: run 'haven " +
                    "rebuild-index', then 'haven check --read-data'.",
                    e);
            }

            foreach (var (pack, size, entries) in packs)
            {
                IndexedPackSizes[pack] = size;
                yield return (pack, entries);
            }
        }
    }

    /// <summary>Reads one index file: for each pack, its size and entries.</summary>
    internal List<(string Pack, long Size, List<PackEntry> Entries)> ReadIndexFile(string name)
    {
        string where = $"Index file '{name}'";
        byte[] content = ReadObject(IndexDirectory, IndexType, name, where);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(content));
            int packs = reader.ReadInt32();
            var result = new List<(string, long, List<PackEntry>)>(packs);
            for (int p = 0; p < packs; p++)
            {
                string pack = Convert.ToHexStringLower(reader.ReadBytes(32));
                long size = reader.ReadInt64();
                int count = reader.ReadInt32();
                var entries = new List<PackEntry>(count);
                for (int i = 0; i < count; i++)
                {
                    entries.Add(PackEntry.Read(reader));
                }

                result.Add((pack, size, entries));
            }

            return result;
        }
        catch (EndOfStreamException e)
        {
            throw new IntegrityException($"{where} is damaged: it ends early.", inner: e);
        }
    }

    /// <summary>Packs listed per index file: about 64 MiB of packs and 1 MiB of index each.</summary>
    internal const int PacksPerIndexFile = 4;

    /// <summary>
    /// Writes index files for packs (a few packs to a file) and adds them to the loaded index: the
    /// rebuild's way. A backup stages its index files as its packs complete instead (see
    /// <see cref="StageIndexFile"/>).
    /// </summary>
    internal (long Bytes, IReadOnlyList<string> Names) WriteIndexFiles(
        IReadOnlyList<(string Pack, long Size, List<PackEntry> Entries)> packs)
    {
        var staged = packs.Chunk(PacksPerIndexFile).Select(StageIndexFile).ToList();
        long bytes = CommitIndexFiles(staged);
        Index.Add(packs.Select(p => (p.Pack, (IReadOnlyList<PackEntry>)p.Entries)));
        return (bytes, [.. staged.Select(s => s.Name)]);
    }

    /// <summary>
    /// Writes the index file for <paramref name="packs"/> under a temporary name, fsynced, so that
    /// committing it later is one rename; until then no reader sees it. Small files keep memory
    /// small: a backup stages one as every few packs complete and then drops their entries.
    /// </summary>
    internal StagedIndexFile StageIndexFile(IReadOnlyList<(string Pack, long Size, List<PackEntry> Entries)> packs)
    {
        string name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        byte[] sealedObject = SealObject(IndexType, name, EncodeIndexFile(packs));
        string temp = AtomicFile.WriteTemp(sealedObject, TempDirectory, "index");
        return new StagedIndexFile(name, temp, sealedObject.Length, [.. packs.Select(p => (p.Pack, p.Size))]);
    }

    /// <summary>
    /// Renames staged index files into place (the index folder is fsynced once, after the last):
    /// their packs are indexed from now on. Returns the files' bytes.
    /// </summary>
    internal long CommitIndexFiles(IReadOnlyList<StagedIndexFile> staged)
    {
        long bytes = 0;
        foreach (var file in staged)
        {
            AtomicFile.Commit(file.TempPath, Path.Combine(IndexDirectory, file.Name), syncDirectory: false);
            bytes += file.Bytes;
            foreach (var (pack, size) in file.Packs)
            {
                IndexedPackSizes[pack] = size;
            }
        }

        if (staged.Count > 0)
        {
            AtomicFile.SyncDirectory(IndexDirectory);
        }

        return bytes;
    }

    private static byte[] EncodeIndexFile(IReadOnlyList<(string Pack, long Size, List<PackEntry> Entries)> packs)
    {
        long bytes = sizeof(int) + packs.Sum(
            p => ChunkId.Bytes + sizeof(long) + sizeof(int) + ((long)p.Entries.Count * PackEntry.EncodedBytes));
        byte[] content = new byte[bytes];
        using var writer = new BinaryWriter(new MemoryStream(content));
        writer.Write(packs.Count);
        foreach (var (pack, size, entries) in packs)
        {
            writer.Write(Convert.FromHexString(pack));
            writer.Write(size);
            writer.Write(entries.Count);
            foreach (var entry in entries)
            {
                entry.Write(writer);
            }
        }

        return content;
    }

    /// <summary>
    /// Indexes the complete packs that no index file lists: a writer killed after it wrote them and
    /// before it committed its index files leaves them (a backup renames a pack into place only when
    /// it is whole). Their chunks are then found by later backups, which would otherwise store them
    /// again. A pack whose header fails authentication is left for <c>check</c> to report, and
    /// nothing is adopted while the index files themselves are unreadable (rebuild-index is the way
    /// then). Returns how many packs were adopted.
    /// </summary>
    internal int AdoptUnindexedPacks()
    {
        try
        {
            _ = Index;
            var packs = new List<(string Pack, long Size, List<PackEntry> Entries)>();
            foreach (var (pack, path) in PackFiles())
            {
                if (IndexedPackSizes.ContainsKey(pack))
                {
                    continue;
                }

                try
                {
                    packs.Add((pack, new FileInfo(path).Length, PackFormat.ReadHeader(path, pack, Cipher)));
                }
                catch (IntegrityException)
                {
                    // Damaged: check names it.
                }
            }

            WriteIndexFiles(packs);
            return packs.Count;
        }
        catch (IntegrityException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Rebuilds the index from the packs' own authenticated headers: writes one new index file
    /// listing every readable pack, then removes the old index files. Damaged packs are left out
    /// and returned, so that the caller can name them.
    /// </summary>
    public (int Packs, long Chunks, IReadOnlyList<string> DamagedPacks) RebuildIndex()
    {
        var packs = new List<(string Pack, long Size, List<PackEntry> Entries)>();
        var damaged = new List<string>();
        foreach (var (pack, path) in PackFiles())
        {
            try
            {
                packs.Add((pack, new FileInfo(path).Length, PackFormat.ReadHeader(path, pack, Cipher)));
            }
            catch (IntegrityException e)
            {
                damaged.Add($"{pack}: {e.Message}");
            }
        }

        var old = IndexFiles().ToList();
        _index = ChunkIndex.Build([]);
        IndexedPackSizes.Clear();
        var written = WriteIndexFiles(packs).Names;
        foreach (string name in old.Where(n => !written.Contains(n)))
        {
            File.Delete(Path.Combine(IndexDirectory, name));
        }

        AtomicFile.SyncDirectory(IndexDirectory);
        Audit.Append(Haven.Core.Audit.AuditEventTypes.IndexRebuilt, new Dictionary<string, string>
        {
            ["packs"] = packs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["damagedPacks"] = string.Join(" ", damaged.Select(d => d.Split(':')[0])),
        });
        return (packs.Count, packs.Sum(p => (long)p.Entries.Count), damaged);
    }

    /// <summary>Every pack file present: (id, path).</summary>
    internal IEnumerable<(string Pack, string Path)> PackFiles()
    {
        if (!Directory.Exists(DataDirectory))
        {
            yield break;
        }

        foreach (string folder in Directory.EnumerateDirectories(DataDirectory).Order(StringComparer.Ordinal))
        {
            foreach (string path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(path);
                if (!name.StartsWith('.'))
                {
                    yield return (name, path);
                }
            }
        }
    }

    private static IEnumerable<string> ListObjects(string folder) =>
        Directory.Exists(folder)
            ? Directory
                .EnumerateFiles(folder)
                .Select(Path.GetFileName)
                .Where(n => !n!.StartsWith('.'))
                .Order(StringComparer.Ordinal)!
            : [];
}

/// <summary>An index file written under a temporary name, waiting to be renamed into place.</summary>
internal sealed record StagedIndexFile(
    string Name, string TempPath, long Bytes, IReadOnlyList<(string Pack, long Size)> Packs);
