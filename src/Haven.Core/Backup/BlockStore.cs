using System.Security.Cryptography;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Backup;

/// <summary>
/// Stores content as chunks: fixed-size blocks (SQLite pages, or blocks of a plain file), or pieces
/// of a stream cut by content (a PostgreSQL dump). Each chunk is named by its keyed hash and stored
/// only if the repository lacks it; the chunks' ids form the snapshot's page map; a SHA-256 of the
/// whole content is kept for verification at restore.
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
    /// digests, maps and stores them in order. When <paramref name="baseContent"/> is an earlier
    /// snapshot of the same source with the same block size, page-map leaves that differ from its
    /// leaves in a few entries are stored as deltas of them.
    /// </summary>
    public static ContentInfo Store(
        LocalRepository repository,
        PackWriter writer,
        int blockSize,
        long size,
        RangeReader read,
        ContentInfo? baseContent,
        BackupRequest request)
    {
        using var sink = new ChunkSink(repository, writer, baseContent);
        byte[] batch = new byte[BatchBlocks * blockSize];
        var cuts = new List<(int Offset, int Length)>(BatchBlocks);
        long blocks = (size + blockSize - 1) / blockSize;
        for (long first = 0; first < blocks; first += BatchBlocks)
        {
            int count = (int)Math.Min(BatchBlocks, blocks - first);
            int length = (int)Math.Min((long)count * blockSize, size - (first * blockSize));
            read(first, count, batch.AsSpan(0, length));
            cuts.Clear();
            for (int i = 0; i < count; i++)
            {
                cuts.Add((i * blockSize, Math.Min(blockSize, length - (i * blockSize))));
            }

            sink.Add(batch, cuts);
            request.CancellationToken.ThrowIfCancellationRequested();
            request.Progress?.Report(new Progress("backup", first + count, blocks));
        }

        return sink.Finish(blockSize);
    }

    /// <summary>
    /// Stores a stream of unknown length (such as a database dump read from a pipe) in chunks cut
    /// by content, so that data which did not change keeps its chunks even when bytes before it
    /// were inserted or removed. Memory is one buffer of a few MiB, whatever the stream's size.
    /// </summary>
    public static ContentInfo StoreStream(
        LocalRepository repository,
        PackWriter writer,
        Stream source,
        BackupRequest request)
    {
        var chunker = new ContentDefinedChunker(repository.ChunkIdKey);
        using var sink = new ChunkSink(repository, writer);
        byte[] buffer = new byte[4 << 20];
        var cuts = new List<(int Offset, int Length)>();
        int filled = 0;
        bool ended = false;
        while (!ended || filled > 0)
        {
            while (!ended && filled < buffer.Length)
            {
                int read = source.Read(buffer, filled, buffer.Length - filled);
                ended = read == 0;
                filled += read;
            }

            // Cut while a whole maximum-size window is available (or the stream has ended).
            cuts.Clear();
            int offset = 0;
            while (offset < filled && (ended || filled - offset >= ContentDefinedChunker.MaxSize))
            {
                int cut = chunker.NextCut(buffer.AsSpan(offset, filled - offset));
                cuts.Add((offset, cut));
                offset += cut;
            }

            sink.Add(buffer, cuts);
            buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
            filled -= offset;
            request.CancellationToken.ThrowIfCancellationRequested();
            request.Progress?.Report(new Progress("backup", sink.Size, 0));
        }

        return sink.Finish(blockSize: 0);
    }

    /// <summary>
    /// Where chunks go: names them (on every core), skips those the repository already holds, adds
    /// their ids to the page map and their bytes to the whole-content digest, in order.
    /// </summary>
    private sealed class ChunkSink : IDisposable
    {
        private readonly LocalRepository _repository;
        private readonly PackWriter _writer;
        private readonly byte[] _key;
        private readonly ThreadLocal<IncrementalHash> _hashers;
        private readonly PageMap.Builder _builder;
        private readonly ChunkReader? _baseReader;
        private readonly IncrementalHash _digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly int _workers = Math.Max(1, Environment.ProcessorCount);
        private ChunkId[] _ids = new ChunkId[BatchBlocks];

        public ChunkSink(LocalRepository repository, PackWriter writer, ContentInfo? baseContent = null)
        {
            _repository = repository;
            _writer = writer;
            _key = repository.ChunkIdKey.ToArray();
            _hashers = new ThreadLocal<IncrementalHash>(
                () => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key),
                trackAllValues: true);
            IEnumerable<PageMap.BaseLeaf>? bases = null;
            if (baseContent is { Blocks: > 0, PageMapRoot: { Length: > 0 } root })
            {
                _baseReader = new ChunkReader(repository);
                bases = PageMap.Leaves(_baseReader, ChunkId.Parse(root), baseContent.PageMapDepth);
            }

            _builder = new PageMap.Builder(
                node => Store(ChunkId.Compute(_key, node.Span), node.Span, ChunkType.Tree),
                bases);
        }

        /// <summary>Bytes of content added so far.</summary>
        public long Size { get; private set; }

        public void Add(byte[] buffer, List<(int Offset, int Length)> cuts)
        {
            if (cuts.Count == 0)
            {
                return;
            }

            if (_ids.Length < cuts.Count)
            {
                _ids = new ChunkId[cuts.Count];
            }

            // One worker digests the whole batch in order while the others name its chunks: the
            // SHA-256 of the content costs about as much as the keyed hashes of its chunks.
            var ids = _ids;
            int namers = Math.Max(1, _workers - 1);
            Parallel.For(0, namers + 1, worker =>
            {
                if (worker == namers)
                {
                    foreach (var (offset, length) in cuts)
                    {
                        _digest.AppendData(buffer.AsSpan(offset, length));
                    }

                    return;
                }

                var hmac = _hashers.Value!;
                for (int i = worker; i < cuts.Count; i += namers)
                {
                    ids[i] = ChunkId.Compute(hmac, buffer.AsSpan(cuts[i].Offset, cuts[i].Length));
                }
            });
            for (int i = 0; i < cuts.Count; i++)
            {
                var content = buffer.AsSpan(cuts[i].Offset, cuts[i].Length);
                Size += content.Length;
                _builder.Add(Store(ids[i], content, ChunkType.Page));
            }
        }

        public ContentInfo Finish(int blockSize)
        {
            var (root, depth) = _builder.Finish();
            return new ContentInfo
            {
                Size = Size,
                Sha256 = Convert.ToHexStringLower(_digest.GetHashAndReset()),
                BlockSize = blockSize,
                Chunking = blockSize == 0 ? ContentDefinedChunker.Description : null,
                Blocks = _builder.Count,
                PageMapRoot = root?.ToString() ?? "",
                PageMapDepth = depth,
            };
        }

        public void Dispose()
        {
            foreach (var hmac in _hashers.Values)
            {
                hmac.Dispose();
            }

            _hashers.Dispose();
            _digest.Dispose();
            _baseReader?.Dispose();
        }

        private ChunkId Store(ChunkId id, ReadOnlySpan<byte> content, ChunkType type)
        {
            if (!_repository.Index.ContainsKey(id))
            {
                _writer.Add(id, type, content);
            }

            return id;
        }
    }

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
        long pagesRead,
        PostgresInfo? postgres = null)
    {
        writer.Flush();
        long indexBytes = writer.CommitIndex();
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
            Postgres = postgres,
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
