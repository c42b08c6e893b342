using System.Buffers.Binary;
using System.Security.Cryptography;
using Haven.Core.Chunking;
using Haven.Core.Crypto;

namespace Haven.Core.Repository;

/// <summary>
/// Gathers new chunks into frames (compressed together, since neighbouring pages compress far better
/// as a group than one at a time) and frames into packs. A pack is written under a temporary name
/// and renamed into place only when complete. Every few packs, their index file is staged (written
/// under a temporary name) and their entries dropped; <see cref="CommitIndex"/> renames the staged
/// files into place. Chunks join the loaded index as their frames are written, so that the backup
/// finds them there, and leave it again if the backup fails: memory holds each id once.
/// </summary>
internal sealed class PackWriter : IDisposable
{
    private readonly LocalRepository _repository;
    private readonly ObjectCipher _cipher;
    private readonly int _frameBytes;
    private readonly long _packBytes;
    private readonly Queue<(
        Task<int> Compressing,
        byte[] Plain,
        byte[] Compressed,
        List<(ChunkId Id, ChunkType Type, int Offset, int Length)> Chunks)> _inFlight = new();
    private readonly int _maxInFlight = Math.Max(2, Environment.ProcessorCount);
    private readonly Stack<byte[]> _spareBuffers = new();
    private readonly int _bufferBytes;
    private readonly FrameBuffer _pages = new();
    private readonly FrameBuffer _nodes = new();
    private readonly List<PackEntry> _packEntries = [];
    private readonly HashSet<ChunkId> _unwritten = [];
    private readonly List<(string Pack, long Size, List<PackEntry> Entries)> _unstaged = [];
    private readonly List<StagedIndexFile> _staged = [];
    private IndexMark? _indexMark;
    private bool _keepPacks;
    private FileStream? _packStream;
    private string? _packTemp;
    private string? _packId;

    public PackWriter(
        LocalRepository repository,
        ObjectCipher cipher,
        int frameBytes = 1024 * 1024,
        long packBytes = 16L << 20)
    {
        _repository = repository;
        _cipher = cipher;
        _frameBytes = frameBytes;
        _packBytes = packBytes;
        _bufferBytes = Compression.Zstd.CompressBound(frameBytes) + ObjectCipher.Overhead;
    }

    /// <summary>Stored bytes written so far (after compression and encryption).</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Chunks added so far.</summary>
    public long ChunksAdded { get; private set; }

    /// <summary>
    /// Adds a chunk the repository's index does not list (chunks this writer has already written
    /// are listed there; those still in a frame being filled or compressed are skipped here).
    /// </summary>
    public void Add(ChunkId id, ChunkType type, ReadOnlySpan<byte> content)
    {
        if (!_unwritten.Add(id))
        {
            return;
        }

        // Page-map nodes get frames of their own: a later backup reads the previous snapshot's
        // leaves to store only what changed in them, and should not decompress pages to do so.
        var frame = type == ChunkType.Tree ? _nodes : _pages;
        frame.Chunks.Add((id, type, (int)frame.Bytes.Length, content.Length));
        frame.Bytes.Write(content);
        ChunksAdded++;
        if (frame.Bytes.Length >= _frameBytes)
        {
            FlushFrame(frame);
        }
    }

    /// <summary>
    /// Writes any partial frame, completes the current pack and stages the last index file: the
    /// last step of a snapshot before <see cref="CommitIndex"/>.
    /// </summary>
    public void Flush()
    {
        FlushFrame(_pages);
        FlushFrame(_nodes);
        while (_inFlight.Count > 0)
        {
            WriteOldestFrame();
        }

        FinishPack();
        StageIndexFile();
    }

    /// <summary>
    /// Makes the packs written durable parts of the repository: from here on they are kept whatever
    /// happens, and their staged index files are renamed into place. Returns the index files' bytes.
    /// If a rename fails, the chunks of this writer leave the loaded index again (some may then be
    /// stored twice later, never referred to unindexed).
    /// </summary>
    public long CommitIndex()
    {
        _keepPacks = true;
        try
        {
            long bytes = _repository.CommitIndexFiles(_staged);
            _staged.Clear();
            _indexMark = null;
            return bytes;
        }
        catch
        {
            RollBackIndex();
            throw;
        }
    }

    /// <summary>
    /// Hands a full frame to a worker for compression, the slowest step, so that both cores
    /// compress while this thread reads and hashes pages. At most a few frames are in flight,
    /// which bounds memory; frames are written in the order they were filled.
    /// </summary>
    private void FlushFrame(FrameBuffer frame)
    {
        if (frame.Chunks.Count == 0)
        {
            return;
        }

        int length = (int)frame.Bytes.Length;
        byte[] plain = RentBuffer(length);
        frame.Bytes.GetBuffer().AsSpan(0, length).CopyTo(plain);
        byte[] compressed = RentBuffer(Compression.Zstd.CompressBound(length));
        var chunks = new List<(ChunkId, ChunkType, int, int)>(frame.Chunks);
        _inFlight.Enqueue((
            Task.Run(() => Compression.Zstd.Compress(plain.AsSpan(0, length), compressed)),
            plain,
            compressed,
            chunks));
        frame.Chunks.Clear();
        frame.Bytes.SetLength(0);
        while (_inFlight.Count > _maxInFlight)
        {
            WriteOldestFrame();
        }
    }

    private void WriteOldestFrame()
    {
        var (compressing, plain, compressed, chunks) = _inFlight.Dequeue();
        int compressedLength = compressing.GetAwaiter().GetResult();
        ReturnBuffer(plain);
        EnsurePack();
        long offset = _packStream!.Position;
        int sealedLength = compressedLength + ObjectCipher.Overhead;
        byte[] sealedFrame = RentBuffer(sealedLength);
        _cipher.Seal(
            PackFormat.FrameType,
            PackFormat.FrameName(_packId!, offset),
            compressed.AsSpan(0, compressedLength),
            sealedFrame.AsSpan(0, sealedLength));
        ReturnBuffer(compressed);
        _packStream.Write(sealedFrame, 0, sealedLength);
        ReturnBuffer(sealedFrame);
        BytesWritten += sealedLength;
        int first = _packEntries.Count;
        foreach (var chunk in chunks)
        {
            _packEntries.Add(new PackEntry(chunk.Id, chunk.Type, offset, sealedLength, chunk.Offset, chunk.Length));
            _unwritten.Remove(chunk.Id);
        }

        _repository.Index.Add(_packId!, _packEntries[first..]);

        if (_packStream.Position >= _packBytes)
        {
            FinishPack();
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="length"/> bytes. Frames' bytes, compressed and sealed,
    /// pass through a few buffers of one size that are used again, so that a backup does not
    /// leave three 1 MiB arrays per frame for the garbage collector (whose large-object heap then
    /// grows by tens of MiB before it is collected).
    /// </summary>
    private byte[] RentBuffer(int length) =>
        length <= _bufferBytes && _spareBuffers.TryPop(out var spare)
            ? spare
            : new byte[Math.Max(length, _bufferBytes)];

    private void ReturnBuffer(byte[] buffer)
    {
        // At most as many as the frames in flight can use at once.
        if (buffer.Length == _bufferBytes && _spareBuffers.Count < (2 * _maxInFlight) + 3)
        {
            _spareBuffers.Push(buffer);
        }
    }

    private void EnsurePack()
    {
        if (_packStream is not null)
        {
            return;
        }

        _indexMark ??= _repository.Index.Mark();
        _packId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _packTemp = AtomicFile.CreateTempPath(_repository.TempDirectory, "pack");
        _packStream = AtomicFile.OpenNew(_packTemp);
    }

    private void FinishPack()
    {
        if (_packStream is null)
        {
            return;
        }

        byte[] header = _cipher.Seal(PackFormat.HeaderType, _packId!, PackFormat.EncodeHeader(_packEntries));
        _packStream.Write(header);
        Span<byte> suffix = stackalloc byte[PackFormat.LengthSuffixBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(suffix, (uint)header.Length);
        _packStream.Write(suffix);
        BytesWritten += header.Length + suffix.Length;
        _packStream.Flush(flushToDisk: true);
        long size = _packStream.Length;
        _packStream.Dispose();
        _packStream = null;

        AtomicFile.Commit(_packTemp!, _repository.PackPath(_packId!));
        _unstaged.Add((_packId!, size, [.. _packEntries]));
        _packEntries.Clear();
        _packTemp = null;
        _packId = null;
        if (_unstaged.Count == LocalRepository.PacksPerIndexFile)
        {
            StageIndexFile();
        }
    }

    private void StageIndexFile()
    {
        if (_unstaged.Count > 0)
        {
            _staged.Add(_repository.StageIndexFile(_unstaged));
            _unstaged.Clear();
        }
    }

    private void RollBackIndex()
    {
        if (_indexMark is { } mark)
        {
            _repository.Index.RollBack(mark);
            _indexMark = null;
        }
    }

    /// <summary>
    /// Abandons an unfinished pack (its temporary file is removed), index files staged and not
    /// committed, and, unless <see cref="CommitIndex"/> was called, the packs this writer completed
    /// and their chunks in the loaded index: no index file names them and no snapshot needs them,
    /// so a backup that fails leaves the repository as it found it.
    /// </summary>
    public void Dispose()
    {
        if (_packStream is not null)
        {
            _packStream.Dispose();
            AtomicFile.TryDelete(_packTemp!);
            _packStream = null;
        }

        foreach (var (compressing, _, _, _) in _inFlight)
        {
            compressing.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        }

        _inFlight.Clear();
        _pages.Bytes.Dispose();
        _nodes.Bytes.Dispose();
        RollBackIndex();
        if (!_keepPacks)
        {
            // Nothing was committed: every pack completed is still listed, staged or not.
            var packs = _unstaged.Select(p => p.Pack).Concat(_staged.SelectMany(f => f.Packs.Select(p => p.Pack)));
            foreach (string pack in packs)
            {
                AtomicFile.TryDelete(_repository.PackPath(pack));
            }
        }

        // Staged files already renamed into place are no longer at their temporary paths.
        foreach (var staged in _staged)
        {
            AtomicFile.TryDelete(staged.TempPath);
        }

        _staged.Clear();
        _unstaged.Clear();
    }

    /// <summary>A frame being filled: its bytes and the chunks in it.</summary>
    private sealed class FrameBuffer
    {
        public MemoryStream Bytes { get; } = new();

        public List<(ChunkId Id, ChunkType Type, int Offset, int Length)> Chunks { get; } = [];
    }
}
