using System.Security.Cryptography;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Backup;

/// <summary>
/// Stores content as fixed-size blocks (SQLite pages, or blocks of a plain file): each block is a
/// chunk named by its keyed hash and stored only if the repository lacks it; the blocks' ids form
/// the snapshot's page map; a SHA-256 of the whole content is kept for verification at restore.
/// </summary>
internal static class BlockStore
{
    /// <summary>Blocks read and hashed together: 1 MiB of 4 KiB pages.</summary>
    private const int BatchBlocks = 256;

    /// <summary>
    /// Reads <c>count</c> blocks starting at block <c>first</c> (0-based) into the span, which is
    /// exactly their length (the last block of a plain file may be short).
    /// </summary>
    public delegate void RangeReader(long first, int count, Span<byte> destination);

    /// <summary>
    /// Reads the content in batches, names each batch's blocks on every core at once (the keyed
    /// hash is the costliest step after compression, which the pack writer already spreads), then
    /// digests, maps and stores them in order.
    /// </summary>
    public static ContentInfo Store(
        LocalRepository repository,
        PackWriter writer,
        int blockSize,
        long size,
        RangeReader read,
        BackupRequest request)
    {
        var index = repository.Index;
        byte[] key = repository.ChunkIdKey.ToArray();
        using var hashers = new ThreadLocal<IncrementalHash>(
            () => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key),
            trackAllValues: true);
        var builder = new PageMap.Builder(node => StoreChunk(node.Span, ChunkType.Tree));
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] batch = new byte[BatchBlocks * blockSize];
        var ids = new ChunkId[BatchBlocks];
        int workers = Math.Max(1, Environment.ProcessorCount);
        long blocks = (size + blockSize - 1) / blockSize;
        for (long first = 0; first < blocks; first += BatchBlocks)
        {
            int count = (int)Math.Min(BatchBlocks, blocks - first);
            int length = (int)Math.Min((long)count * blockSize, size - (first * blockSize));
            read(first, count, batch.AsSpan(0, length));
            Parallel.For(0, workers, worker =>
            {
                var hmac = hashers.Value!;
                for (int i = worker; i < count; i += workers)
                {
                    ids[i] = ChunkId.Compute(hmac, Block(batch, i, blockSize, length));
                }
            });
            digest.AppendData(batch.AsSpan(0, length));
            for (int i = 0; i < count; i++)
            {
                builder.Add(StoreId(ids[i], Block(batch, i, blockSize, length), ChunkType.Page));
            }

            request.CancellationToken.ThrowIfCancellationRequested();
            request.Progress?.Report(new Progress("backup", first + count, blocks));
        }

        var (root, depth) = builder.Finish();
        foreach (var hmac in hashers.Values)
        {
            hmac.Dispose();
        }

        return new ContentInfo
        {
            Size = size,
            Sha256 = Convert.ToHexStringLower(digest.GetHashAndReset()),
            BlockSize = blockSize,
            Blocks = blocks,
            PageMapRoot = root?.ToString() ?? "",
            PageMapDepth = depth,
        };

        ChunkId StoreId(ChunkId id, ReadOnlySpan<byte> content, ChunkType type)
        {
            if (!index.ContainsKey(id))
            {
                writer.Add(id, type, content);
            }

            return id;
        }

        ChunkId StoreChunk(ReadOnlySpan<byte> content, ChunkType type) =>
            StoreId(ChunkId.Compute(key, content), content, type);
    }

    private static ReadOnlySpan<byte> Block(byte[] batch, int i, int blockSize, int length) =>
        batch.AsSpan(i * blockSize, Math.Min(blockSize, length - (i * blockSize)));

    /// <summary>
    /// Makes a snapshot durable in order: the last pack, then the index files naming its chunks, and
    /// only then the manifest, so that a listed snapshot always has everything it needs.
    /// </summary>
    public static Manifest Commit(
        LocalRepository repository,
        PackWriter writer,
        SourceInfo source,
        SqliteInfo? sqlite,
        ContentInfo content,
        BackupRequest request,
        DateTime time,
        System.Diagnostics.Stopwatch stopwatch,
        AuditHead auditHead,
        long pagesRead)
    {
        writer.Flush();
        long indexBytes = repository.WriteIndexFiles(writer.Finished).Bytes;
        var manifest = new Manifest
        {
            Id = LocalRepository.NewSnapshotId(),
            Time = time,
            Trigger = request.Trigger,
            Reason = request.Reason,
            Tags = request.Tags,
            Host = Environment.MachineName,
            ToolVersion = HavenVersion.Current,
            Source = source,
            Sqlite = sqlite,
            Content = content,
            AuditHead = auditHead,
            Stats = new SnapshotStats
            {
                AddedBytes = writer.BytesWritten + indexBytes,
                NewChunks = writer.ChunksAdded,
                Chunks = content.Blocks,
                PagesRead = pagesRead,
                DurationSeconds = stopwatch.Elapsed.TotalSeconds,
            },
        };
        // Count the manifest itself too (its size barely depends on the figure it holds).
        manifest = manifest with
        {
            Stats = manifest.Stats with
            {
                AddedBytes = manifest.Stats.AddedBytes + LocalRepository.SnapshotObjectBytes(manifest)
            }
        };
        request.CancellationToken.ThrowIfCancellationRequested();
        repository.WriteSnapshot(manifest);
        return manifest;
    }
}
