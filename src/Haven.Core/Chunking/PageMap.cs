using Haven.Core.Repository;

namespace Haven.Core.Chunking;

/// <summary>
/// A snapshot's list of page chunks, stored as a tree of chunks with <see cref="FanOut"/> ids per node
/// (4 KiB nodes). Nodes are content-addressed like pages, so a node whose pages did not change is
/// shared with earlier snapshots: an unchanged database costs one manifest, and a change costs only
/// the nodes on the paths to changed pages, not a full list of page ids.
/// </summary>
internal static class PageMap
{
    public const int FanOut = 128;

    /// <summary>Builds the tree bottom-up as pages stream in; memory is one node per level.</summary>
    public sealed class Builder
    {
        private readonly Func<ReadOnlyMemory<byte>, ChunkId> _store;
        private readonly List<byte[]> _levels = [];
        private readonly List<int> _counts = [];

        /// <param name="store">Stores a tree node and returns its id.</param>
        public Builder(Func<ReadOnlyMemory<byte>, ChunkId> store) => _store = store;

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
            Push(level + 1, _store(node));
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

        byte[] node = reader.Read(root).ToArray();
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

    /// <summary>Every chunk id of the tree (nodes and pages) with its level: for checks.</summary>
    public static IEnumerable<ChunkId> Nodes(ChunkReader reader, ChunkId root, int depth)
    {
        yield return root;
        if (depth == 0)
        {
            yield break;
        }

        byte[] node = reader.Read(root).ToArray();
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
