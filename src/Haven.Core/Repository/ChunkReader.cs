using Haven.Core.Chunking;

namespace Haven.Core.Repository;

/// <summary>
/// Reads chunks back: finds the frame in the index, reads and authenticates it, decompresses it, and
/// checks that each chunk's content still hashes to its id. Keeps a few recent frames, since
/// restores read pages in the order they were written.
/// </summary>
internal sealed class ChunkReader : IDisposable
{
    private const int CachedFrames = 8;

    private readonly LocalRepository _repository;
    private readonly LinkedList<(string Key, byte[] Plain)> _cache = new();
    private readonly Dictionary<string, Microsoft.Win32.SafeHandles.SafeFileHandle> _handles = new(
        StringComparer.Ordinal);
    private readonly HashSet<string> _verifiedPacks = new(StringComparer.Ordinal);

    private readonly ChunkIndex? _index;
    private readonly System.Security.Cryptography.IncrementalHash _hmac;

    /// <param name="repository">The repository to read from.</param>
    /// <param name="index">An index to use instead of the repository's (a check builds its own from
    /// the readable index files).</param>
    public ChunkReader(LocalRepository repository, ChunkIndex? index = null)
    {
        _repository = repository;
        _index = index;
        _hmac = System.Security.Cryptography.IncrementalHash.CreateHMAC(
            System.Security.Cryptography.HashAlgorithmName.SHA256, repository.ChunkIdKey.ToArray());
    }

    /// <summary>Also authenticate each pack's header the first time the pack is used.</summary>
    public bool VerifyPackHeaders { get; init; }

    /// <summary>
    /// Returns the chunk's verified content. Throws <see cref="IntegrityException"/> naming the pack.
    /// </summary>
    public ReadOnlySpan<byte> Read(ChunkId id)
    {
        if (!(_index ?? _repository.Index).TryGetValue(id, out var location))
        {
            throw new IntegrityException($"Chunk {id} is missing from the repository (not in any index).");
        }

        byte[] frame = Frame(location);
        if (location.OffsetInFrame + location.Length > frame.Length)
        {
            throw new IntegrityException(
                $"Pack {location.Pack} is damaged: frame at {location.FrameOffset} is too short.");
        }

        var content = frame.AsSpan(location.OffsetInFrame, location.Length);
        if (ChunkId.Compute(_hmac, content) != id)
        {
            throw new IntegrityException($"Pack {location.Pack} is damaged: chunk {id} does not match its content.");
        }

        return content;
    }

    private byte[] Frame(ChunkLocation location)
    {
        string key = PackFormat.FrameName(location.Pack, location.FrameOffset);
        for (var node = _cache.First; node is not null; node = node.Next)
        {
            if (node.Value.Key == key)
            {
                return node.Value.Plain;
            }
        }

        var handle = Handle(location.Pack);
        byte[] sealedFrame = new byte[location.FrameLength];
        int read = RandomAccess.Read(handle, sealedFrame, location.FrameOffset);
        string where = $"Pack {location.Pack} (frame at {location.FrameOffset})";
        if (read != sealedFrame.Length)
        {
            throw new IntegrityException($"{where} is damaged: the pack is truncated.");
        }

        byte[] compressed = _repository.Cipher.Open(PackFormat.FrameType, key, sealedFrame, where);
        byte[] plain = Compression.Zstd.Decompress(compressed, where);

        _cache.AddFirst((key, plain));
        if (_cache.Count > CachedFrames)
        {
            _cache.RemoveLast();
        }

        return plain;
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle Handle(string pack)
    {
        if (_handles.TryGetValue(pack, out var handle))
        {
            return handle;
        }

        string path = _repository.PackPath(pack);
        if (!File.Exists(path))
        {
            throw new IntegrityException($"Pack {pack} is missing from the repository (expected at '{path}').");
        }

        if (VerifyPackHeaders && _verifiedPacks.Add(pack))
        {
            PackFormat.ReadHeader(path, pack, _repository.Cipher);
            if (_repository.IndexedPackSizes.TryGetValue(pack, out long size) && new FileInfo(path).Length != size)
            {
                throw new IntegrityException($"Pack {pack} is damaged: its size differs from the index.");
            }
        }

        handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _handles[pack] = handle;
        return handle;
    }

    public void Dispose()
    {
        _hmac.Dispose();
        foreach (var handle in _handles.Values)
        {
            handle.Dispose();
        }

    }
}
