using Haven.Core.Chunking;
using Haven.Core.Repository;

namespace Haven.Core.Tests.Repository;

public class ChunkIndexTests
{
    [Fact]
    public void Every_listed_chunk_is_found_with_its_location_and_unlisted_ones_are_not()
    {
        var first = Entries(1000, seed: 1);
        var second = Entries(500, seed: 2);
        var index = ChunkIndex.Build([("pack-a", first), ("pack-b", second)]);

        Assert.Equal(1500, index.Count);
        foreach (var (pack, entries) in new[] { ("pack-a", first), ("pack-b", second) })
        {
            foreach (var entry in entries)
            {
                Assert.True(index.TryGetValue(entry.Id, out var location));
                Assert.Equal(entry.In(pack), location);
            }
        }

        Assert.False(index.ContainsKey(Entries(1, seed: 3)[0].Id));
    }

    [Fact]
    public void A_chunk_listed_twice_is_indexed_once_at_its_first_location()
    {
        var entries = Entries(100, seed: 4);
        var index = ChunkIndex.Build([("pack-a", entries), ("pack-b", entries.Take(10).ToList())]);
        Assert.Equal(100, index.Count);

        // Enough chunks that many of the 65,536 buckets grow several times.
        var added = Entries(300_000, seed: 5);
        index.Add("pack-c", added.Take(10).ToList());
        index.Add("pack-d", [.. added, .. entries]);
        Assert.Equal(300_100, index.Count);
        Assert.True(index.TryGetValue(added[3].Id, out var kept));
        Assert.Equal(added[3].In("pack-c"), kept);
        foreach (var entry in added.Skip(10))
        {
            Assert.True(index.TryGetValue(entry.Id, out var late));
            Assert.Equal(entry.In("pack-d"), late);
        }

        Assert.True(index.TryGetValue(entries[0].Id, out var original));
        Assert.Equal("pack-a", original.Pack);
    }

    [Fact]
    public void Rolling_back_forgets_exactly_the_chunks_frames_and_packs_added_after_the_mark()
    {
        var before = Entries(2000, seed: 6);
        var index = ChunkIndex.Build([("pack-a", before)]);
        var mark = index.Mark();
        var after = Entries(3000, seed: 7);
        index.Add("pack-b", after);
        // A chunk listed again after the mark keeps its earlier location and survives the rollback.
        index.Add("pack-c", [before[5]]);
        Assert.Equal(5000, index.Count);

        index.RollBack(mark);

        Assert.Equal(2000, index.Count);
        Assert.All(after, entry => Assert.False(index.ContainsKey(entry.Id)));
        foreach (var entry in before)
        {
            Assert.True(index.TryGetValue(entry.Id, out var location));
            Assert.Equal(entry.In("pack-a"), location);
        }

        // Numbers freed by the rollback are reused without confusion.
        index.Add("pack-d", after.Take(100).ToList());
        Assert.True(index.TryGetValue(after[99].Id, out var reused));
        Assert.Equal(after[99].In("pack-d"), reused);
    }

    [Fact]
    public void Ids_that_differ_in_any_one_of_their_first_14_bytes_are_different_chunks()
    {
        byte[] bytes = new byte[ChunkId.Bytes];
        new Random(8).NextBytes(bytes);
        var entries = new List<PackEntry>();
        for (int position = 0; position < 14; position++)
        {
            foreach (byte bit in new byte[] { 0x01, 0x80 })
            {
                byte[] changed = (byte[])bytes.Clone();
                changed[position] ^= bit;
                entries.Add(new PackEntry(ChunkId.Read(changed), ChunkType.Page, 0, 100, entries.Count, 1));
            }
        }

        var index = ChunkIndex.Build([("pack-a", [new PackEntry(ChunkId.Read(bytes), ChunkType.Page, 0, 100, 99, 1)])]);
        Assert.All(entries, entry => Assert.False(index.ContainsKey(entry.Id)));
        index.Add("pack-a", entries);

        Assert.Equal(entries.Count + 1, index.Count);
        Assert.All(entries, entry =>
        {
            Assert.True(index.TryGetValue(entry.Id, out var location));
            Assert.Equal(entry.OffsetInFrame, location.OffsetInFrame);
        });
    }

    private static List<PackEntry> Entries(int count, int seed)
    {
        var random = new Random(seed);
        var entries = new List<PackEntry>(count);
        byte[] id = new byte[ChunkId.Bytes];
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(id);
            var type = i % 7 == 0 ? ChunkType.Tree : ChunkType.Page;
            entries.Add(new PackEntry(ChunkId.Read(id), type, 3L << 30 | (uint)i, 1000 + i, i * 4096, 4096));
        }

        return entries;
    }
}
