using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Repository;

public class PackWriterTests
{
    /// <summary>Small frames and packs, so that a few hundred KiB make many packs and staged index files.</summary>
    private static PackWriter SmallWriter(LocalRepository repository) =>
        new(repository, repository.Cipher, frameBytes: 8 * 1024, packBytes: 16 * 1024);

    [Fact]
    public void A_writer_abandoned_after_staging_index_files_leaves_no_pack_file_or_indexed_chunk()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        List<ChunkId> ids;
        using (var writer = SmallWriter(repository))
        {
            ids = [.. AddRandomChunks(repository, writer, count: 200).Select(c => c.Id)];
            Assert.All(ids.Take(150), id => Assert.True(repository.Index.ContainsKey(id)));
            Assert.Contains(
                Directory.EnumerateFiles(repository.TempDirectory),
                file => file.Contains(".index.", StringComparison.Ordinal));
        }

        Assert.Empty(Directory.EnumerateFiles(repository.DataDirectory, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(repository.TempDirectory));
        Assert.Empty(repository.IndexFiles());
        Assert.All(ids, id => Assert.False(repository.Index.ContainsKey(id)));
    }

    [Fact]
    public void A_committed_writer_leaves_every_chunk_indexed_on_disk()
    {
        using var folder = new TempFolder();
        List<(ChunkId Id, int Seed)> chunks;
        using (var repository = Fixtures.NewRepository(folder))
        using (var writer = SmallWriter(repository))
        {
            chunks = AddRandomChunks(repository, writer, count: 200);
            writer.Flush();
            Assert.True(writer.CommitIndex() > 0);
            Assert.Empty(Directory.EnumerateFiles(repository.TempDirectory));
        }

        using var reopened = Fixtures.Reopen(folder);
        using var reader = new ChunkReader(reopened);
        Assert.True(reopened.IndexFiles().Count() > 1);
        Assert.All(chunks, chunk => Assert.Equal(ChunkContent(chunk.Seed), reader.Read(chunk.Id).ToArray()));
    }

    private static List<(ChunkId Id, int Seed)> AddRandomChunks(
        LocalRepository repository,
        PackWriter writer,
        int count)
    {
        var chunks = new List<(ChunkId, int)>();
        for (int seed = 0; seed < count; seed++)
        {
            byte[] content = ChunkContent(seed);
            var id = ChunkId.Compute(repository.ChunkIdKey, content);
            writer.Add(id, ChunkType.Page, content);
            chunks.Add((id, seed));
        }

        return chunks;
    }

    /// <summary>Incompressible content, so that packs fill as the sizes say.</summary>
    private static byte[] ChunkContent(int seed)
    {
        byte[] content = new byte[4096];
        new Random(seed).NextBytes(content);
        return content;
    }
}
