using Haven.Core.Compression;

namespace Haven.Core.Tests.Compression;

public class ZstdTests
{
    [Fact]
    public void Frames_round_trip_including_those_written_without_a_content_size()
    {
        byte[] content = new byte[3 << 20];
        new Random(7).NextBytes(content.AsSpan(0, 1 << 20));

        Assert.Equal(content, Zstd.Decompress(Zstd.Compress(content), "test frame"));
        Assert.Empty(Zstd.Decompress(Zstd.Compress([]), "empty frame"));

        // A streamed frame does not record its size up front; it is still read (by ZstdSharp).
        using var buffer = new MemoryStream();
        using (var stream = new ZstdSharp.CompressionStream(buffer, 3, leaveOpen: true))
        {
            stream.Write(content);
        }

        Assert.Equal(content, Zstd.Decompress(buffer.ToArray(), "streamed frame"));
    }

    [Fact]
    public void A_damaged_frame_is_an_integrity_failure_naming_where_it_came_from()
    {
        byte[] content = new byte[1 << 20];
        new Random(8).NextBytes(content);
        byte[] compressed = Zstd.Compress(content)[..^100].ToArray();

        var error = Assert.Throws<IntegrityException>(() => Zstd.Decompress(compressed, "Pack p (frame at 0)"));
        Assert.StartsWith("Pack p (frame at 0) is damaged", error.Message, StringComparison.Ordinal);
    }
}
