using System.Buffers;
using System.Security.Cryptography;
using Haven.Core.Backup;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Snapshots;

namespace Haven.Core.Restore;

/// <summary>
/// Writes a snapshot's content to a stream, verifying every chunk (authentication, then its keyed
/// hash) and, at the end, the SHA-256 of the whole content against the manifest.
/// </summary>
/// <remarks>
/// The work is a bounded pipeline. This thread walks the page map and cuts the page list into
/// batches of <see cref="BatchPages"/>; each batch is assembled on a worker (frames read,
/// authenticated, decompressed; each page re-hashed against its id and copied out), so that every
/// core decompresses and verifies; this thread then digests and writes the batches in order. At
/// most <see cref="MaxBatchesInFlight"/> batches are under way, which bounds memory whatever the
/// size of the database. A failure in any batch stops the restore with that batch's error.
/// </remarks>
internal static class SnapshotMaterializer
{
    /// <summary>Pages per batch: 1 MiB of 4 KiB pages, about one frame.</summary>
    private const int BatchPages = 256;

    /// <summary>Written bytes between hints to the kernel to start writing them to disk.</summary>
    private const long WritebackBytes = 8L << 20;

    /// <summary>Leaf nodes of the page map whose frames are loaded ahead of the walk.</summary>
    private const int LeavesAhead = 4;

    private static readonly int MaxBatchesInFlight = Math.Max(2, 2 * Environment.ProcessorCount);

    /// <param name="repository">The repository holding the snapshot.</param>
    /// <param name="snapshot">The snapshot to write out.</param>
    /// <param name="output">Where the content goes.</param>
    /// <param name="progress">Receives progress as pages are written.</param>
    /// <param name="cancel">Stops the work between batches.</param>
    /// <param name="startWriteback">
    /// Ask the kernel to start writing the file to disk as it is produced (the caller will fsync it,
    /// and the disk then works while the remaining pages and the checks use the processor).
    /// </param>
    public static void WriteTo(
        LocalRepository repository,
        Manifest snapshot,
        FileStream output,
        IProgress<Progress>? progress,
        CancellationToken cancel,
        bool startWriteback = false)
    {
        using var reader = new ChunkReader(repository) { VerifyPackHeaders = true };
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var inFlight = new Queue<Task<(byte[] Buffer, int Length, int Pages)>>();
        long written = 0;
        long blocks = 0;
        long hinted = 0;
        try
        {
            if (snapshot.Content.Blocks > 0)
            {
                var root = ChunkId.Parse(snapshot.Content.PageMapRoot);
                var batch = new List<(ChunkId, ChunkLocation)>(BatchPages);
                foreach (var id in PageMap.Pages(reader, root, snapshot.Content.PageMapDepth, LeavesAhead))
                {
                    batch.Add((id, reader.Locate(id)));
                    if (batch.Count == BatchPages)
                    {
                        Submit(batch);
                    }
                }

                Submit(batch);
                while (inFlight.Count > 0)
                {
                    WriteOldest();
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

        progress?.Report(new Progress("restore", blocks, snapshot.Content.Blocks));
        string actual = Convert.ToHexStringLower(digest.GetHashAndReset());
        if (blocks != snapshot.Content.Blocks || written != snapshot.Content.Size || actual != snapshot.Content.Sha256)
        {
            throw new IntegrityException(
                $"Snapshot {snapshot.Id} does not reassemble to the content it recorded (SHA-256 " +
                $"{actual} != {snapshot.Content.Sha256}); nothing was restored.");
        }

        void Submit(List<(ChunkId Id, ChunkLocation Location)> pages)
        {
            if (pages.Count == 0)
            {
                return;
            }

            var work = pages.ToArray();
            pages.Clear();
            inFlight.Enqueue(Task.Run(() => Assemble(reader, work)));
            while (inFlight.Count > MaxBatchesInFlight)
            {
                WriteOldest();
            }
        }

        void WriteOldest()
        {
            var (buffer, length, pages) = inFlight.Peek().GetAwaiter().GetResult();
            inFlight.Dequeue();
            try
            {
                digest.AppendData(buffer, 0, length);
                output.Write(buffer, 0, length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            written += length;
            long before = blocks;
            blocks += pages;
            if (startWriteback && written - hinted >= WritebackBytes)
            {
                output.Flush();
                Writeback.Start(output.SafeFileHandle, hinted, written - hinted);
                hinted = written;
            }

            if ((before >> 12) != (blocks >> 12))
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report(new Progress("restore", blocks, snapshot.Content.Blocks));
            }
        }
    }

    /// <summary>Reads and verifies one batch of pages into a pooled buffer, in order.</summary>
    private static (byte[] Buffer, int Length, int Pages) Assemble(
        ChunkReader reader,
        (ChunkId Id, ChunkLocation Location)[] pages)
    {
        int length = 0;
        foreach (var (_, location) in pages)
        {
            length += location.Length;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int at = 0;
            foreach (var (id, location) in pages)
            {
                var content = reader.Read(id, location);
                content.CopyTo(buffer.AsSpan(at));
                at += content.Length;
            }

            return (buffer, length, pages.Length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
