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
    public void A_chunk_listed_twice_is_indexed_once_and_added_chunks_are_found_before_and_after_merging()
    {
        var entries = Entries(100, seed: 4);
        var index = ChunkIndex.Build([("pack-a", entries), ("pack-b", entries.Take(10).ToList())]);
        Assert.Equal(100, index.Count);

        // More than 4096 new chunks in one pack makes the index merge them into its sorted arrays.
        var added = Entries(5000, seed: 5);
        index.Add("pack-c", added.Take(10).ToList());
        Assert.True(index.TryGetValue(added[3].Id, out var early));
        Assert.Equal("pack-c", early.Pack);

        index.Add("pack-d", [.. added, .. entries]);
        Assert.Equal(5100, index.Count);
        Assert.True(index.TryGetValue(added[3].Id, out var kept));
        Assert.Equal("pack-c", kept.Pack);
        Assert.True(index.TryGetValue(added[4999].Id, out var late));
        Assert.Equal(added[4999].In("pack-d"), late);
        Assert.True(index.TryGetValue(entries[0].Id, out var original));
        Assert.Equal("pack-a", original.Pack);
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
