using System.Runtime.InteropServices;
using Haven.Core.Chunking;

namespace Haven.Core.Repository;

/// <summary>
/// The index in memory: chunk id to location, held compactly because it has one entry per stored
/// page (2.1 million for an 8 GiB database). Entries sit in 65,536 small sorted buckets chosen by
/// the id's first two bytes, so that adding one moves a few dozen entries and no array ever grows
/// as large as the index. An entry is 24 bytes: the id's next 12 bytes, the number of its frame in
/// a table of frames (pack, offset, length; one per MiB of pages), and its place in that frame.
/// With the buckets' spare room that is about 27 bytes per chunk.
/// </summary>
/// <remarks>
/// Two chunks whose ids share their first 14 bytes would be taken for one. Ids are keyed hashes, so
/// that needs a 112-bit collision (about 10^-21 for 2.5 million chunks), and it would not pass
/// unnoticed: every chunk read is checked against its full id.
/// </remarks>
internal sealed class ChunkIndex
{
    private const int BucketBits = 16;
    private readonly List<string> _packs = [];
    private readonly Dictionary<string, int> _packNumbers = new(StringComparer.Ordinal);
    private readonly Entry[]?[] _buckets = new Entry[1 << BucketBits][];
    private readonly int[] _counts = new int[1 << BucketBits];
    private Frame[] _frames = new Frame[64];
    private int _frameCount;

    /// <summary>Number of distinct chunks indexed.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Builds an index from every (pack, entries) list; when a chunk is listed in more than one
    /// pack, the pack listed first holds the copy that is used.
    /// </summary>
    public static ChunkIndex Build(IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        var index = new ChunkIndex();
        foreach (var (pack, entries) in packs)
        {
            index.Add(pack, entries);
        }

        return index;
    }

    /// <summary>Adds the entries of packs just written; a chunk already indexed keeps its location.</summary>
    public void Add(IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        foreach (var (pack, entries) in packs)
        {
            Add(pack, entries);
        }
    }

    /// <summary>Adds entries of one pack; a chunk already indexed keeps its location.</summary>
    public void Add(string pack, IReadOnlyList<PackEntry> entries)
    {
        int number = PackNumber(pack);
        foreach (var entry in entries)
        {
            Insert(entry.Id, Entry.Of(entry, FrameNumber(number, entry)));
        }
    }

    /// <summary>True when the chunk is indexed.</summary>
    public bool ContainsKey(ChunkId id) => Find(id, out _, out _);

    /// <summary>Finds where the chunk is stored.</summary>
    public bool TryGetValue(ChunkId id, out ChunkLocation location)
    {
        if (!Find(id, out int bucket, out int at))
        {
            location = default;
            return false;
        }

        var entry = _buckets[bucket]![at];
        var frame = _frames[entry.Frame];
        location = new ChunkLocation(
            _packs[frame.Pack],
            frame.Offset,
            frame.Length,
            entry.OffsetInFrame,
            entry.Length,
            entry.Type);
        return true;
    }

    /// <summary>
    /// Where the index stands now; <see cref="RollBack"/> returns it there. A backup marks the index
    /// before adding the chunks it writes, so that they are found at once, and rolls back if it fails.
    /// </summary>
    public IndexMark Mark() => new(_packs.Count, _frameCount);

    /// <summary>Forgets every chunk, frame and pack added since <paramref name="mark"/>.</summary>
    public void RollBack(IndexMark mark)
    {
        for (int bucket = 0; bucket < _buckets.Length; bucket++)
        {
            var entries = _buckets[bucket];
            int count = _counts[bucket];
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                if (entries![i].Frame < mark.Frames)
                {
                    entries[kept++] = entries[i];
                }
            }

            _counts[bucket] = kept;
            Count -= count - kept;
        }

        _frameCount = mark.Frames;
        for (int number = _packs.Count - 1; number >= mark.Packs; number--)
        {
            _packNumbers.Remove(_packs[number]);
            _packs.RemoveAt(number);
        }
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

    /// <summary>
    /// The number of the entry's frame. A pack's entries come frame by frame, so a frame is the
    /// last one added or a new one (at worst a frame listed twice costs 16 bytes).
    /// </summary>
    private int FrameNumber(int pack, PackEntry entry)
    {
        var frame = new Frame(pack, entry.FrameOffset, entry.FrameLength);
        if (_frameCount > 0 && _frames[_frameCount - 1] == frame)
        {
            return _frameCount - 1;
        }

        if (_frameCount == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }

        _frames[_frameCount] = frame;
        return _frameCount++;
    }

    private static int BucketOf(ulong a) => (int)(a >> (64 - BucketBits));

    /// <summary>Finds the entry for the id's prefix: its bucket, and its place or where it would go.</summary>
    private bool Find(ChunkId id, out int bucket, out int at)
    {
        bucket = BucketOf(id.A);
        ulong high64 = Entry.HighOf(id);
        uint low32 = Entry.LowOf(id);
        var entries = _buckets[bucket];
        int low = 0;
        int high = _counts[bucket] - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            ref readonly var entry = ref entries![middle];
            int order = entry.High != high64 ? entry.High.CompareTo(high64) : entry.Low.CompareTo(low32);
            if (order == 0)
            {
                at = middle;
                return true;
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

        at = low;
        return false;
    }

    private void Insert(ChunkId id, Entry entry)
    {
        if (Find(id, out int bucket, out int at))
        {
            return;
        }

        int count = _counts[bucket];
        var entries = _buckets[bucket];
        if (entries is null || count == entries.Length)
        {
            // Grow by a quarter: buckets stay about 90% full, and each is small to copy.
            var grown = new Entry[Math.Max(4, count + (count >> 2) + 1)];
            entries?.AsSpan(0, count).CopyTo(grown);
            _buckets[bucket] = entries = grown;
        }

        entries.AsSpan(at, count - at).CopyTo(entries.AsSpan(at + 1));
        entries[at] = entry;
        _counts[bucket] = count + 1;
        Count++;
    }

    /// <summary>A frame of a pack, numbered by its place in the frame table.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Frame(int Pack, long Offset, int Length);

    /// <summary>
    /// One chunk: bytes 2 to 13 of its id (bytes 0 and 1 choose the bucket), its frame, its place in
    /// the frame: 24 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly record struct Entry(ulong High, uint Low, int Frame, int OffsetInFrame, int LengthAndType)
    {
        // The chunk type rides in the top bits of the length: a chunk is at most 16 MiB.
        private const int TypeShift = 24;

        public int Length => LengthAndType & ((1 << TypeShift) - 1);

        public ChunkType Type => (ChunkType)(LengthAndType >> TypeShift);

        public static ulong HighOf(ChunkId id) => (id.A << BucketBits) | (id.B >> (64 - BucketBits));

        public static uint LowOf(ChunkId id) => (uint)(id.B >> (32 - BucketBits));

        public static Entry Of(PackEntry entry, int frame)
        {
            if (entry.Length is < 0 or >= 1 << TypeShift || (byte)entry.Type >= 1 << (31 - TypeShift))
            {
                throw new IntegrityException($"The index lists chunk {entry.Id} with an impossible length or type.");
            }

            return new Entry(
                HighOf(entry.Id),
                LowOf(entry.Id),
                frame,
                entry.OffsetInFrame,
                entry.Length | ((int)entry.Type << TypeShift));
        }
    }
}

/// <summary>A point in an index's growth, to roll back to (see <see cref="ChunkIndex.Mark"/>).</summary>
internal readonly record struct IndexMark(int Packs, int Frames);
