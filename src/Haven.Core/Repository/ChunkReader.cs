using System.Security.Cryptography;
using Haven.Core.Chunking;
using Microsoft.Win32.SafeHandles;

namespace Haven.Core.Repository;

/// <summary>
/// Reads chunks back: finds the frame in the index, reads and authenticates it, decompresses it, and
/// checks that each chunk's content still hashes to its id. Keeps the most recently used frames,
/// since restores read pages in about the order they were written. Safe to use from several
/// threads at once, so that a restore can decompress and verify frames on every core: a frame that
/// two threads need at the same time is decompressed once.
/// </summary>
internal sealed class ChunkReader : IDisposable
{
    /// <summary>
    /// Frames kept decompressed (about 1 MiB each). A restore has a few page batches in flight, each
    /// touching one or two frames of the first snapshot and, after changes, one of a later snapshot.
    /// </summary>
    private const int CachedFrames = 16;

    private readonly LocalRepository _repository;
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Pack, long Offset, Lazy<byte[]> Plain)> _cache = new();
    private readonly Dictionary<string, SafeFileHandle> _handles = new(StringComparer.Ordinal);
    private readonly HashSet<string> _verifiedPacks = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _prefetches = [];
    private readonly ChunkIndex? _index;
    private readonly ThreadLocal<IncrementalHash> _hmac;

    /// <param name="repository">The repository to read from.</param>
    /// <param name="index">An index to use instead of the repository's (a check builds its own from
    /// the readable index files).</param>
    public ChunkReader(LocalRepository repository, ChunkIndex? index = null)
    {
        _repository = repository;
        _index = index;
        byte[] key = repository.ChunkIdKey.ToArray();
        _hmac = new ThreadLocal<IncrementalHash>(
            () => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key),
            trackAllValues: true);
    }

    /// <summary>Also authenticate each pack's header the first time the pack is used.</summary>
    public bool VerifyPackHeaders { get; init; }

    /// <summary>Where the chunk is stored. Throws <see cref="IntegrityException"/> when no index lists it.</summary>
    public ChunkLocation Locate(ChunkId id)
    {
        if (!(_index ?? _repository.Index).TryGetValue(id, out var location))
        {
            throw new IntegrityException($"Chunk {id} is missing from the repository (not in any index).");
        }

        return location;
    }

    /// <summary>
    /// Returns the chunk's verified content. Throws <see cref="IntegrityException"/> naming the pack.
    /// </summary>
    public ReadOnlySpan<byte> Read(ChunkId id) => Read(id, Locate(id));

    /// <summary>Returns the verified content of the chunk stored at <paramref name="location"/>.</summary>
    public ReadOnlySpan<byte> Read(ChunkId id, ChunkLocation location)
    {
        byte[] frame = Frame(location);
        if (location.OffsetInFrame + location.Length > frame.Length)
        {
            throw new IntegrityException(
                $"Pack {location.Pack} is damaged: frame at {location.FrameOffset} is too short.");
        }

        var content = frame.AsSpan(location.OffsetInFrame, location.Length);
        if (ChunkId.Compute(_hmac.Value!, content) != id)
        {
            throw new IntegrityException($"Pack {location.Pack} is damaged: chunk {id} does not match its content.");
        }

        return content;
    }

    /// <summary>
    /// Starts loading the frame that holds <paramref name="id"/> on another thread, if it is not
    /// cached. Errors are not reported here: the later <see cref="Read(ChunkId)"/> reports them.
    /// </summary>
    public void Prefetch(ChunkId id)
    {
        if (!(_index ?? _repository.Index).TryGetValue(id, out var location))
        {
            return;
        }

        lock (_prefetches)
        {
            Task? prefetch = null;
            prefetch = Task.Run(() =>
            {
                try
                {
                    Frame(location);
                }
                catch (Exception e) when (e is IntegrityException or IOException)
                {
                    // Reported by the read that needs this frame.
                }
                finally
                {
                    lock (_prefetches)
                    {
                        _prefetches.Remove(prefetch!);
                    }
                }
            });
            _prefetches.Add(prefetch);
        }
    }

    private byte[] Frame(ChunkLocation location)
    {
        Lazy<byte[]>? plain = null;
        lock (_lock)
        {
            for (var node = _cache.First; node is not null; node = node.Next)
            {
                if (node.Value.Offset == location.FrameOffset && node.Value.Pack == location.Pack)
                {
                    plain = node.Value.Plain;
                    if (node != _cache.First)
                    {
                        _cache.Remove(node);
                        _cache.AddFirst(node);
                    }

                    break;
                }
            }

            if (plain is null)
            {
                // Loaded outside the lock, by the first thread that asks; others asking meanwhile wait for it.
                plain = new Lazy<byte[]>(() => LoadFrame(location), LazyThreadSafetyMode.ExecutionAndPublication);
                _cache.AddFirst((location.Pack, location.FrameOffset, plain));
                if (_cache.Count > CachedFrames)
                {
                    _cache.RemoveLast();
                }
            }
        }

        return plain.Value;
    }

    private byte[] LoadFrame(ChunkLocation location)
    {
        var handle = Handle(location.Pack);
        byte[] sealedFrame = new byte[location.FrameLength];
        int read = RandomAccess.Read(handle, sealedFrame, location.FrameOffset);
        string where = $"Pack {location.Pack} (frame at {location.FrameOffset})";
        if (read != sealedFrame.Length)
        {
            throw new IntegrityException($"{where} is damaged: the pack is truncated.");
        }

        string name = PackFormat.FrameName(location.Pack, location.FrameOffset);
        byte[] compressed = _repository.Cipher.Open(PackFormat.FrameType, name, sealedFrame, where);
        return Compression.Zstd.Decompress(compressed, where);
    }

    private SafeFileHandle Handle(string pack)
    {
        lock (_lock)
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

            if (VerifyPackHeaders && !_verifiedPacks.Contains(pack))
            {
                PackFormat.ReadHeader(path, pack, _repository.Cipher);
                if (_repository.IndexedPackSizes.TryGetValue(pack, out long size) && new FileInfo(path).Length != size)
                {
                    throw new IntegrityException($"Pack {pack} is damaged: its size differs from the index.");
                }

                _verifiedPacks.Add(pack);
            }

            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            _handles[pack] = handle;
            return handle;
        }
    }

    public void Dispose()
    {
        // Frames still being loaded ahead use the pack handles closed below.
        Task[] prefetches;
        lock (_prefetches)
        {
            prefetches = [.. _prefetches];
        }

        foreach (var prefetch in prefetches)
        {
            prefetch.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        }

        foreach (var hmac in _hmac.Values)
        {
            hmac.Dispose();
        }

        _hmac.Dispose();
        foreach (var handle in _handles.Values)
        {
            handle.Dispose();
        }
    }
}
