using System.Buffers;
using System.Security.Cryptography;
using Haven.Core.Backup;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Restore;

/// <summary>
/// Writes a snapshot's content to a file, verifying every chunk (authentication, then its keyed
/// hash) and, at the end, the SHA-256 of the whole content against the manifest.
/// </summary>
/// <remarks>
/// The work is a bounded pipeline. This thread walks the page map and cuts the page list into
/// batches of <see cref="BatchPages"/>; each batch goes to a worker, which finds its pages in the
/// index, reads, authenticates and decompresses their frames, re-hashes each page against its id,
/// and writes the batch at its place in the file (every block but the content's last has the
/// same size, so a batch's place is known before it is read). Workers run on every core; this
/// thread digests the batches in order. At most <see cref="MaxBatchesInFlight"/> batches are under
/// way, which bounds memory whatever the size of the database. A failure in any batch stops the
/// restore with that batch's error; the digest then proves that what was written is the content.
/// </remarks>
internal static class SnapshotMaterializer
{
    /// <summary>Pages per batch: 1 MiB of 4 KiB pages, about one frame.</summary>
    private const int BatchPages = 256;

    /// <summary>Leaf nodes of the page map whose frames are loaded ahead of the walk.</summary>
    private const int LeavesAhead = 4;

    private static readonly int MaxBatchesInFlight = Math.Max(2, 2 * Environment.ProcessorCount);

    /// <param name="repository">The repository holding the snapshot.</param>
    /// <param name="snapshot">The snapshot to write out.</param>
    /// <param name="output">A new, empty file for the content.</param>
    /// <param name="progress">Receives progress as pages are written.</param>
    /// <param name="cancel">Stops the work between batches.</param>
    /// <param name="startWriteback">
    /// Ask the kernel to start writing each batch to disk once it is in the file (the caller will
    /// fsync it, and the disk then works while the remaining pages and the checks use the processor).
    /// </param>
    public static void WriteTo(
        LocalRepository repository,
        Manifest snapshot,
        FileStream output,
        IProgress<Progress>? progress,
        CancellationToken cancel,
        bool startWriteback = false)
    {
        var content = snapshot.Content;
        if (content.BlockSize == 0 && content.Blocks > 0)
        {
            throw new InvalidOperationException(
                $"Snapshot {snapshot.Id} is cut by content; its chunks have no fixed place. Use StreamTo.");
        }

        using var reader = new ChunkReader(repository) { VerifyPackHeaders = true };
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var inFlight = new Queue<Task<(byte[] Buffer, int Length, int Pages)>>();
        var file = output.SafeFileHandle;
        long written = 0;
        long blocks = 0;
        try
        {
            if (content.Blocks > 0)
            {
                var batch = new List<ChunkId>(BatchPages);
                long first = 0;
                var root = ChunkId.Parse(content.PageMapRoot);
                foreach (var id in PageMap.Pages(reader, root, content.PageMapDepth, LeavesAhead))
                {
                    batch.Add(id);
                    if (batch.Count == BatchPages)
                    {
                        Submit(batch, first);
                        first += BatchPages;
                    }
                }

                Submit(batch, first);
                while (inFlight.Count > 0)
                {
                    DigestOldest();
                }
            }
        }
        finally
        {
            // Let every worker finish before the reader they use is disposed; their errors, if
            // any, are already reported through the batch that failed first.
            foreach (var task in inFlight)
            {
                task.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
            }
        }

        Finish(snapshot, blocks, written, digest, progress);

        void Submit(List<ChunkId> pages, long first)
        {
            if (pages.Count == 0)
            {
                return;
            }

            var ids = pages.ToArray();
            pages.Clear();
            long offset = first * content.BlockSize;
            int expected = (int)Math.Clamp(content.Size - offset, 0, (long)ids.Length * content.BlockSize);
            inFlight.Enqueue(Task.Run(() => Assemble(reader, ids, file, offset, expected, startWriteback)));
            while (inFlight.Count > MaxBatchesInFlight)
            {
                DigestOldest();
            }
        }

        void DigestOldest()
        {
            var (buffer, length, pages) = inFlight.Peek().GetAwaiter().GetResult();
            inFlight.Dequeue();
            digest.AppendData(buffer, 0, length);
            ArrayPool<byte>.Shared.Return(buffer);
            written += length;
            long before = blocks;
            blocks += pages;
            if ((before >> 12) != (blocks >> 12))
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report(new Progress("restore", blocks, content.Blocks));
            }
        }
    }

    /// <summary>
    /// Writes the content to a stream in order, one chunk at a time: for content cut by content (a
    /// PostgreSQL dump, whose chunks differ in size) and for outputs that cannot seek, such as
    /// pg_restore's standard input. Every chunk is verified and the whole content's SHA-256 compared
    /// at the end, as in <see cref="WriteTo"/>.
    /// </summary>
    public static void StreamTo(
        LocalRepository repository,
        Manifest snapshot,
        Stream output,
        IProgress<Progress>? progress,
        CancellationToken cancel)
    {
        using var reader = new ChunkReader(repository) { VerifyPackHeaders = true };
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0;
        long blocks = 0;
        if (snapshot.Content.Blocks > 0)
        {
            var root = ChunkId.Parse(snapshot.Content.PageMapRoot);
            foreach (var id in PageMap.Pages(reader, root, snapshot.Content.PageMapDepth))
            {
                var block = reader.Read(id);
                digest.AppendData(block);
                output.Write(block);
                written += block.Length;
                blocks++;
                if ((blocks & 0xFFF) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                    progress?.Report(new Progress("restore", blocks, snapshot.Content.Blocks));
                }
            }
        }

        Finish(snapshot, blocks, written, digest, progress);
    }

    /// <summary>The last check of either path: as many blocks and bytes as recorded, and the same SHA-256.</summary>
    private static void Finish(
        Manifest snapshot,
        long blocks,
        long written,
        IncrementalHash digest,
        IProgress<Progress>? progress)
    {
        var content = snapshot.Content;
        progress?.Report(new Progress("restore", blocks, content.Blocks));
        string actual = Convert.ToHexStringLower(digest.GetHashAndReset());
        if (blocks != content.Blocks || written != content.Size || actual != content.Sha256)
        {
            throw new IntegrityException(
                $"Snapshot {snapshot.Id} does not reassemble to the content it recorded (SHA-256 " +
                $"{actual} != {content.Sha256}); nothing was restored.");
        }
    }

    /// <summary>
    /// Reads and verifies one batch of pages into a pooled buffer, in order, and writes it at
    /// <paramref name="offset"/>. The batch must come to <paramref name="expected"/> bytes (whole
    /// blocks; the content's last block may be short), else it could not sit at its place.
    /// </summary>
    private static (byte[] Buffer, int Length, int Pages) Assemble(
        ChunkReader reader,
        ChunkId[] pages,
        Microsoft.Win32.SafeHandles.SafeFileHandle file,
        long offset,
        int expected,
        bool startWriteback)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(expected, 1));
        try
        {
            int at = 0;
            foreach (var id in pages)
            {
                var location = reader.Locate(id);
                if (at + location.Length > expected)
                {
                    throw new IntegrityException(
                        $"Chunk {id} is longer than a block of its snapshot; the snapshot does not reassemble.");
                }

                reader.Read(id, location).CopyTo(buffer.AsSpan(at));
                at += location.Length;
            }

            if (at != expected)
            {
                throw new IntegrityException(
                    "A snapshot's blocks are shorter than it recorded; the snapshot does not reassemble.");
            }

            RandomAccess.Write(file, buffer.AsSpan(0, at), offset);
            if (startWriteback)
            {
                Writeback.Start(file, offset, at);
            }

            return (buffer, at, pages.Length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
