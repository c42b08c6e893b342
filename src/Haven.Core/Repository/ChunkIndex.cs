using System.Runtime.InteropServices;
using Haven.Core.Chunking;

namespace Haven.Core.Repository;

/// <summary>
/// The index in memory: chunk id to location, held compactly because it has one entry per stored
/// page (262,144 for a 1 GiB database). Ids are kept whole (32 bytes) in one sorted array, and
/// locations in a parallel array of 24-byte slots that name their pack by number; a lookup is a
/// binary search. That is about 56 bytes per chunk, where a dictionary of location records took
/// about 110. Chunks added after loading (by a backup's index file) go to a dictionary first and
/// are merged into the sorted arrays when it holds as many as they do.
/// </summary>
internal sealed class ChunkIndex
{
    private readonly List<string> _packs = [];
    private readonly Dictionary<string, int> _packNumbers = new(StringComparer.Ordinal);
    private readonly Dictionary<ChunkId, Slot> _recent = [];
    private ChunkId[] _ids = [];
    private Slot[] _slots = [];
    private int _sorted;

    /// <summary>Number of distinct chunks indexed.</summary>
    public int Count => _sorted + _recent.Count;

    /// <summary>
    /// Builds an index from every (pack, entries) list; when a chunk is listed in more than one
    /// pack, the pack listed first holds the copy that is used.
    /// </summary>
    public static ChunkIndex Build(IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        var index = new ChunkIndex();
        var ids = new ChunkId[1024];
        var slots = new Slot[ids.Length];
        int count = 0;
        foreach (var (pack, entries) in packs)
        {
            int number = index.PackNumber(pack);
            if (count + entries.Count > ids.Length)
            {
                int capacity = Math.Max(ids.Length * 2, count + entries.Count);
                Array.Resize(ref ids, capacity);
                Array.Resize(ref slots, capacity);
            }

            foreach (var entry in entries)
            {
                ids[count] = entry.Id;
                slots[count] = Slot.Of(number, entry);
                count++;
            }
        }

        index.Replace(ids, slots, count);
        return index;
    }

    /// <summary>
    /// Adds the entries of packs just written (one index file's worth); a chunk already indexed
    /// keeps its location. Many entries at once (a first backup adds one per page) are merged
    /// straight into the sorted arrays, which then grow once, instead of passing through the
    /// dictionary, which would briefly take more memory than the whole sorted index.
    /// </summary>
    public void Add(IReadOnlyList<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        int adding = packs.Sum(p => p.Entries.Count);
        if (adding <= Math.Max(4096, _sorted / 4))
        {
            foreach (var (pack, entries) in packs)
            {
                Add(pack, entries);
            }

            return;
        }

        var (ids, slots, count) = Gather(adding);
        foreach (var (pack, entries) in packs)
        {
            int number = PackNumber(pack);
            foreach (var entry in entries)
            {
                // Chunks indexed before keep their location (Replace prefers lower pack numbers,
                // and a pack seen first gets the lower number); the others are appended.
                ids[count] = entry.Id;
                slots[count] = Slot.Of(number, entry);
                count++;
            }
        }

        Replace(ids, slots, count);
    }

    /// <summary>Adds the entries of one pack just written; a chunk already indexed keeps its location.</summary>
    public void Add(string pack, IReadOnlyList<PackEntry> entries)
    {
        int number = PackNumber(pack);
        foreach (var entry in entries)
        {
            if (!ContainsKey(entry.Id))
            {
                _recent.Add(entry.Id, Slot.Of(number, entry));
            }
        }

        // Merging re-sorts everything, so it waits until the recent chunks are as many as the sorted
        // ones: a first backup merges about log2(chunks / 4096) times, not once per pack.
        if (_recent.Count > Math.Max(4096, _sorted))
        {
            Merge();
        }
    }

    /// <summary>True when the chunk is indexed.</summary>
    public bool ContainsKey(ChunkId id) => Find(id) >= 0 || _recent.ContainsKey(id);

    /// <summary>Finds where the chunk is stored.</summary>
    public bool TryGetValue(ChunkId id, out ChunkLocation location)
    {
        int at = Find(id);
        if (at >= 0)
        {
            location = _slots[at].ToLocation(_packs);
            return true;
        }

        if (_recent.TryGetValue(id, out var slot))
        {
            location = slot.ToLocation(_packs);
            return true;
        }

        location = default;
        return false;
    }

    private int PackNumber(string pack)
    {
        if (!_packNumbers.TryGetValue(pack, out int number))
        {
            number = _packs.Count;
            _packs.Add(pack);
            _packNumbers.Add(pack, number);
        }

        return number;
    }

    private int Find(ChunkId id)
    {
        int low = 0;
        int high = _sorted - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            int order = IdOrder.Compare(_ids[middle], id);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void Merge()
    {
        var (ids, slots, count) = Gather(0);
        Replace(ids, slots, count);
    }

    /// <summary>
    /// Copies the sorted and the recent entries into new arrays with room for <paramref name="extra"/>
    /// more, to be sorted again by <see cref="Replace"/>; the recent dictionary is emptied.
    /// </summary>
    private (ChunkId[] Ids, Slot[] Slots, int Count) Gather(int extra)
    {
        var ids = new ChunkId[_sorted + _recent.Count + extra];
        var slots = new Slot[ids.Length];
        Array.Copy(_ids, ids, _sorted);
        Array.Copy(_slots, slots, _sorted);
        int count = _sorted;
        foreach (var (id, slot) in _recent)
        {
            ids[count] = id;
            slots[count] = slot;
            count++;
        }

        _recent.Clear();
        return (ids, slots, count);
    }

    /// <summary>
    /// Sorts the first <paramref name="count"/> entries by id, drops repeated ids, and keeps them
    /// as the sorted arrays (copied to their exact size when more than a fifth would be unused).
    /// </summary>
    private void Replace(ChunkId[] ids, Slot[] slots, int count)
    {
        ids.AsSpan(0, count).Sort(slots.AsSpan(0, count), default(IdOrder));
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (kept > 0 && ids[i] == ids[kept - 1])
            {
                // As before the index was compact: the copy in the pack listed first is the one used.
                if (slots[i].Pack < slots[kept - 1].Pack)
                {
                    slots[kept - 1] = slots[i];
                }

                continue;
            }

            ids[kept] = ids[i];
            slots[kept] = slots[i];
            kept++;
        }

        if (kept < ids.Length - (ids.Length / 5))
        {
            ids = ids[..kept];
            slots = slots[..kept];
        }

        _ids = ids;
        _slots = slots;
        _sorted = kept;
    }

    /// <summary>Orders ids by their bytes (big-endian words), as a sorted array needs.</summary>
    private readonly struct IdOrder : IComparer<ChunkId>
    {
        public static int Compare(ChunkId x, ChunkId y)
        {
            int order = x.A.CompareTo(y.A);
            if (order != 0)
            {
                return order;
            }

            order = x.B.CompareTo(y.B);
            return order != 0 ? order : x.C != y.C ? x.C.CompareTo(y.C) : x.D.CompareTo(y.D);
        }

        int IComparer<ChunkId>.Compare(ChunkId x, ChunkId y) => Compare(x, y);
    }

    /// <summary>A location with its pack as a number into the pack list: 24 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Slot(
        int Pack, long FrameOffset, int FrameLength, int OffsetInFrame, int Length)
    {
        // The chunk type rides in the top bits of Length: a chunk is at most a page (64 KiB).
        private const int TypeShift = 24;

        public static Slot Of(int pack, PackEntry entry)
        {
            if (entry.Length is < 0 or >= 1 << TypeShift || (byte)entry.Type >= 1 << (31 - TypeShift))
            {
                throw new IntegrityException($"The index lists chunk {entry.Id} with an impossible length or type.");
            }

            return new Slot(
                pack,
                entry.FrameOffset,
                entry.FrameLength,
                entry.OffsetInFrame,
                entry.Length | ((int)entry.Type << TypeShift));
        }

        public ChunkLocation ToLocation(List<string> packs) => new(
            packs[Pack],
            FrameOffset,
            FrameLength,
            OffsetInFrame,
            Length & ((1 << TypeShift) - 1),
            (ChunkType)(Length >> TypeShift));
    }
}
