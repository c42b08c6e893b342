using Haven.Core.Repository;

namespace Haven.Core.Chunking;

/// <summary>
/// A snapshot's list of page chunks, stored as a tree of chunks with <see cref="FanOut"/> ids per node
/// (4 KiB nodes). Nodes are content-addressed like pages, so a node whose pages did not change is
/// shared with earlier snapshots: an unchanged database costs one manifest, and a change costs only
/// the nodes on the paths to changed pages, not a full list of page ids.
/// </summary>
/// <remarks>
/// A leaf whose pages changed here and there (random updates touch most leaves) may be stored as a
/// delta of the same leaf of the previous snapshot: the id of that full leaf (the base), a bitmap of
/// the entries that differ, and the new ids of those entries only. A delta is always taken against
/// a full leaf, never against another delta, so reading one costs at most one more node; once more
/// than half of a leaf's entries differ from its base, the full leaf is stored again and becomes the
/// next base. Full nodes are a whole number of ids long; a delta is 49 bytes plus 32 per changed
/// entry, so the two are told apart by length (and a leading tag byte).
/// </remarks>
internal static class PageMap
{
    public const int FanOut = 128;

    private const byte DeltaTag = 0xD1;
    private const int BitmapBytes = FanOut / 8;
    private const int DeltaHeaderBytes = 1 + ChunkId.Bytes + BitmapBytes;
    private const int MaxDeltaEntries = FanOut / 2;

    /// <summary>A full leaf of an earlier snapshot, which a leaf at the same place may be stored against.</summary>
    /// <param name="Id">The full leaf's id.</param>
    /// <param name="Entries">Its content: the page ids it lists.</param>
    public sealed record BaseLeaf(ChunkId Id, byte[] Entries);

    /// <summary>Builds the tree bottom-up as pages stream in; memory is one node per level.</summary>
    public sealed class Builder
    {
        private readonly Func<ReadOnlyMemory<byte>, ChunkId> _store;
        private readonly List<byte[]> _levels = [];
        private readonly List<int> _counts = [];
        private IEnumerator<BaseLeaf>? _bases;

        /// <param name="store">Stores a tree node and returns its id.</param>
        /// <param name="bases">
        /// The leaves of an earlier snapshot of the same content, in order (see <see cref="Leaves"/>),
        /// against which leaves at the same place may be stored as deltas; null stores full leaves only.
        /// </param>
        public Builder(Func<ReadOnlyMemory<byte>, ChunkId> store, IEnumerable<BaseLeaf>? bases = null)
        {
            _store = store;
            _bases = bases?.GetEnumerator();
        }

        /// <summary>Leaves stored as deltas of an earlier snapshot's leaves.</summary>
        public long DeltaLeaves { get; private set; }

        public long Count { get; private set; }

        public void Add(ChunkId page)
        {
            Count++;
            Push(0, page);
        }

        private void Push(int level, ChunkId id)
        {
            if (_levels.Count == level)
            {
                _levels.Add(new byte[FanOut * ChunkId.Bytes]);
                _counts.Add(0);
            }

            id.Write(_levels[level].AsSpan(_counts[level] * ChunkId.Bytes));
            _counts[level]++;
            if (_counts[level] == FanOut)
            {
                Emit(level);
            }
        }

        private void Emit(int level)
        {
            var node = _levels[level].AsMemory(0, _counts[level] * ChunkId.Bytes);
            _counts[level] = 0;
            var delta = level == 0 && NextBase() is { } baseLeaf ? Delta(node.Span, baseLeaf) : null;
            if (delta is not null)
            {
                DeltaLeaves++;
            }

            Push(level + 1, _store(delta ?? node));
        }

        /// <summary>
        /// The earlier snapshot's leaf at the place of the leaf being emitted, or null when there is
        /// none (the content grew) or it cannot be read (then no more deltas: full leaves are always
        /// correct, and the check reports the damage).
        /// </summary>
        private BaseLeaf? NextBase()
        {
            try
            {
                if (_bases is not null && _bases.MoveNext())
                {
                    return _bases.Current;
                }
            }
            catch (Exception e) when (e is IntegrityException or IOException)
            {
                // Fall through: the earlier snapshot is not usable as a base.
            }

            _bases?.Dispose();
            _bases = null;
            return null;
        }

        /// <summary>
        /// Completes the tree; returns its root and depth (levels of nodes), or (null, 0) when empty.
        /// </summary>
        public (ChunkId? Root, int Depth) Finish()
        {
            if (Count == 0)
            {
                return (null, 0);
            }

            for (int level = 0; ; level++)
            {
                bool top = level == _levels.Count - 1;
                if (top && _counts[level] == 1 && level > 0)
                {
                    return (ChunkId.Read(_levels[level]), level);
                }

                if (_counts[level] > 0)
                {
                    Emit(level);
                }
            }
        }
    }

    /// <summary>
    /// The delta of <paramref name="leaf"/> against <paramref name="baseLeaf"/>, or null when a full
    /// leaf is better: the two differ in length, are equal (the full leaf is then the base itself,
    /// already stored), or differ in more than half of their entries.
    /// </summary>
    private static byte[]? Delta(ReadOnlySpan<byte> leaf, BaseLeaf baseLeaf)
    {
        var old = baseLeaf.Entries.AsSpan();
        if (old.Length != leaf.Length || old.SequenceEqual(leaf))
        {
            return null;
        }

        Span<byte> bitmap = stackalloc byte[BitmapBytes];
        int changed = 0;
        for (int i = 0; i * ChunkId.Bytes < leaf.Length; i++)
        {
            var range = new Range(i * ChunkId.Bytes, (i + 1) * ChunkId.Bytes);
            if (!leaf[range].SequenceEqual(old[range]))
            {
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
                if (++changed > MaxDeltaEntries)
                {
                    return null;
                }
            }
        }

        byte[] delta = new byte[DeltaHeaderBytes + (changed * ChunkId.Bytes)];
        delta[0] = DeltaTag;
        baseLeaf.Id.Write(delta.AsSpan(1));
        bitmap.CopyTo(delta.AsSpan(1 + ChunkId.Bytes));
        int at = DeltaHeaderBytes;
        for (int i = 0; i * ChunkId.Bytes < leaf.Length; i++)
        {
            if ((bitmap[i >> 3] & (1 << (i & 7))) != 0)
            {
                leaf.Slice(i * ChunkId.Bytes, ChunkId.Bytes).CopyTo(delta.AsSpan(at));
                at += ChunkId.Bytes;
            }
        }

        return delta;
    }

    private static bool IsDelta(ReadOnlySpan<byte> node) =>
        node.Length % ChunkId.Bytes == DeltaHeaderBytes % ChunkId.Bytes && node[0] == DeltaTag;

    /// <summary>
    /// Reads a leaf and returns the page ids it lists: its content, or for a delta its base's
    /// entries with the changed ones replaced. Anything malformed is an <see cref="IntegrityException"/>.
    /// </summary>
    private static byte[] ReadLeaf(ChunkReader reader, ChunkId id, out ChunkId? baseId)
    {
        byte[] node = reader.Read(id).ToArray();
        baseId = null;
        if (!IsDelta(node))
        {
            return node;
        }

        var baseLeaf = ChunkId.Read(node.AsSpan(1));
        byte[] entries = reader.Read(baseLeaf).ToArray();
        if (entries.Length == 0 || entries.Length % ChunkId.Bytes != 0 || entries.Length > FanOut * ChunkId.Bytes)
        {
            throw new IntegrityException($"Page map node {id} is malformed: its base {baseLeaf} is not a full leaf.");
        }

        var bitmap = node.AsSpan(1 + ChunkId.Bytes, BitmapBytes);
        int at = DeltaHeaderBytes;
        for (int i = 0; i < FanOut; i++)
        {
            if ((bitmap[i >> 3] & (1 << (i & 7))) == 0)
            {
                continue;
            }

            if ((i + 1) * ChunkId.Bytes > entries.Length || at + ChunkId.Bytes > node.Length)
            {
                throw new IntegrityException($"Page map node {id} is malformed: it changes entries its base lacks.");
            }

            node.AsSpan(at, ChunkId.Bytes).CopyTo(entries.AsSpan(i * ChunkId.Bytes));
            at += ChunkId.Bytes;
        }

        if (at != node.Length)
        {
            throw new IntegrityException($"Page map node {id} is malformed: its length does not match its bitmap.");
        }

        baseId = baseLeaf;
        return entries;
    }

    /// <summary>
    /// The leaves of a tree in order, each as the full leaf a later snapshot's leaf at the same place
    /// may be stored against: a full leaf itself, or a delta's base.
    /// </summary>
    public static IEnumerable<BaseLeaf> Leaves(ChunkReader reader, ChunkId root, int depth)
    {
        if (depth == 0)
        {
            yield break;
        }

        if (depth == 1)
        {
            byte[] entries = ReadLeaf(reader, root, out var baseId);
            yield return baseId is { } full ? new BaseLeaf(full, reader.Read(full).ToArray()) : new BaseLeaf(root, entries);
            yield break;
        }

        byte[] node = reader.Read(root).ToArray();
        for (int offset = 0; offset + ChunkId.Bytes <= node.Length; offset += ChunkId.Bytes)
        {
            foreach (var leaf in Leaves(reader, ChunkId.Read(node.AsSpan(offset)), depth - 1))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>
    /// Streams the page ids of a tree in order, verifying every node it reads. When
    /// <paramref name="prefetch"/> is above zero, the frames holding the next few leaf nodes are
    /// loaded on other threads ahead of need: a leaf is stored in the same frame as its pages, so a
    /// restore would otherwise decompress nearly every frame on the thread that walks the tree.
    /// </summary>
    public static IEnumerable<ChunkId> Pages(ChunkReader reader, ChunkId root, int depth, int prefetch = 0)
    {
        if (depth == 0)
        {
            yield return root;
            yield break;
        }

        byte[] node = depth == 1 ? ReadLeaf(reader, root, out _) : reader.Read(root).ToArray();
        if (node.Length % ChunkId.Bytes != 0 || node.Length == 0)
        {
            throw new IntegrityException($"Page map node {root} is malformed.");
        }

        int children = node.Length / ChunkId.Bytes;
        for (int child = 0; child < children; child++)
        {
            if (depth == 2 && prefetch > 0)
            {
                // Children are leaves: start on leaf child + prefetch (the ones before were started already).
                int first = child == 0 ? 0 : child + prefetch;
                for (int ahead = first; ahead <= child + prefetch && ahead < children; ahead++)
                {
                    reader.Prefetch(ChunkId.Read(node.AsSpan(ahead * ChunkId.Bytes)));
                }
            }

            foreach (var page in Pages(reader, ChunkId.Read(node.AsSpan(child * ChunkId.Bytes)), depth - 1, prefetch))
            {
                yield return page;
            }
        }
    }

    /// <summary>Every chunk id the tree needs (nodes, the bases of delta leaves, and pages): for checks.</summary>
    public static IEnumerable<ChunkId> Nodes(ChunkReader reader, ChunkId root, int depth)
    {
        yield return root;
        if (depth == 0)
        {
            yield break;
        }

        ChunkId? baseId = null;
        byte[] node = depth == 1 ? ReadLeaf(reader, root, out baseId) : reader.Read(root).ToArray();
        if (baseId is { } full)
        {
            yield return full;
        }
        for (int offset = 0; offset + ChunkId.Bytes <= node.Length; offset += ChunkId.Bytes)
        {
            var child = ChunkId.Read(node.AsSpan(offset));
            if (depth == 1)
            {
                yield return child;
                continue;
            }

            foreach (var id in Nodes(reader, child, depth - 1))
            {
                yield return id;
            }
        }
    }
}
