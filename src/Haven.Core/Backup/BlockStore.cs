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
    /// <summary>Reads block <c>number</c> (0-based) into the span; the last block of a plain file may be short.</summary>
    public delegate void BlockReader(long number, Span<byte> block);

    public static ContentInfo Store(
        LocalRepository repository, PackWriter writer, int blockSize, long size, BlockReader read, BackupRequest request)
    {
        var index = repository.Index;
        byte[] key = repository.ChunkIdKey.ToArray();
        var builder = new PageMap.Builder(node => StoreChunk(node.Span, ChunkType.Tree));
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[blockSize];
        long blocks = (size + blockSize - 1) / blockSize;
        for (long number = 0; number < blocks; number++)
        {
            var block = buffer.AsSpan(0, (int)Math.Min(blockSize, size - (number * blockSize)));
            read(number, block);
            digest.AppendData(block);
            builder.Add(StoreChunk(block, ChunkType.Page));
            if ((number & 0x3FF) == 0x3FF)
            {
                request.CancellationToken.ThrowIfCancellationRequested();
                request.Progress?.Report(new Progress("backup", number + 1, blocks));
            }
        }

        request.Progress?.Report(new Progress("backup", blocks, blocks));
        var (root, depth) = builder.Finish();
        return new ContentInfo
        {
            Size = size,
            Sha256 = Convert.ToHexStringLower(digest.GetHashAndReset()),
            BlockSize = blockSize,
            Blocks = blocks,
            PageMapRoot = root?.ToString() ?? "",
            PageMapDepth = depth,
        };

        ChunkId StoreChunk(ReadOnlySpan<byte> content, ChunkType type)
        {
            var id = ChunkId.Compute(key, content);
            if (!index.ContainsKey(id))
            {
                writer.Add(id, type, content);
            }

            return id;
        }
    }

    /// <summary>
    /// Makes a snapshot durable in order: the last pack, then the index file naming its chunks, and
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
        AuditHead auditHead)
    {
        writer.Flush();
        long indexBytes = repository.WriteIndexFile(writer.Finished).Bytes;
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
                DurationSeconds = stopwatch.Elapsed.TotalSeconds,
            },
        };
        // Count the manifest itself too (its size barely depends on the figure it holds).
        manifest = manifest with { Stats = manifest.Stats with { AddedBytes = manifest.Stats.AddedBytes + LocalRepository.SnapshotObjectBytes(manifest) } };
        request.CancellationToken.ThrowIfCancellationRequested();
        repository.WriteSnapshot(manifest);
        return manifest;
    }
}
