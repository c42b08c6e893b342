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
internal static class SnapshotMaterializer
{
    public static void WriteTo(
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

        progress?.Report(new Progress("restore", blocks, snapshot.Content.Blocks));
        string actual = Convert.ToHexStringLower(digest.GetHashAndReset());
        if (blocks != snapshot.Content.Blocks || written != snapshot.Content.Size || actual != snapshot.Content.Sha256)
        {
            throw new IntegrityException(
                $"Snapshot {snapshot.Id} does not reassemble to the content it recorded (SHA-256 " +
                $"{actual} != {snapshot.Content.Sha256}); nothing was restored.");
        }
    }
}
