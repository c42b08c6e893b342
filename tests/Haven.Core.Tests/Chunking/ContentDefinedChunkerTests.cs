using Haven.Core.Chunking;

namespace Haven.Core.Tests.Chunking;

public sealed class ContentDefinedChunkerTests
{
    private static List<byte[]> Cut(ContentDefinedChunker chunker, byte[] data)
    {
        var chunks = new List<byte[]>();
        for (int offset = 0; offset < data.Length;)
        {
            int cut = chunker.NextCut(data.AsSpan(offset));
            chunks.Add(data.AsSpan(offset, cut).ToArray());
            offset += cut;
        }

        return chunks;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void Chunks_stay_within_their_bounds_and_cover_the_stream()
    {
        var chunker = new ContentDefinedChunker(new byte[32]);
        byte[] data = RandomBytes(4 << 20, 1);

        var chunks = Cut(chunker, data);

        Assert.Equal(data, chunks.SelectMany(c => c).ToArray());
        Assert.All(
            chunks.SkipLast(1),
            c => Assert.InRange(c.Length, ContentDefinedChunker.MinSize + 1, ContentDefinedChunker.MaxSize));
        double average = (double)data.Length / chunks.Count;
        Assert.InRange(average, ContentDefinedChunker.AverageSize * 0.75, ContentDefinedChunker.AverageSize * 2.0);
    }

    [Fact]
    public void Inserting_bytes_in_the_middle_changes_only_the_chunks_around_them()
    {
        var chunker = new ContentDefinedChunker(new byte[32]);
        byte[] data = RandomBytes(2 << 20, 2);
        byte[] edited = [.. data.AsSpan(0, 1 << 20), .. RandomBytes(100, 3), .. data.AsSpan(1 << 20)];

        var before = Cut(chunker, data).Select(Convert.ToHexString).ToHashSet();
        var after = Cut(chunker, edited).Select(Convert.ToHexString).ToList();

        int changed = after.Count(c => !before.Contains(c));
        Assert.InRange(changed, 1, 2);
    }

    [Fact]
    public void The_cut_points_depend_on_the_repository_key()
    {
        byte[] data = RandomBytes(1 << 20, 4);
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;

        var first = Cut(new ContentDefinedChunker(new byte[32]), data).Select(c => c.Length).ToList();
        var again = Cut(new ContentDefinedChunker(new byte[32]), data).Select(c => c.Length).ToList();
        var other = Cut(new ContentDefinedChunker(otherKey), data).Select(c => c.Length).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }
}
