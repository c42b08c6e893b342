using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Haven.Core.Sources.Sqlite;

/// <summary>
/// Reads a SQLite write-ahead log the way SQLite's own recovery does: frames are valid while their
/// salts match the header and their cumulative checksums hold; the last valid commit frame ends the
/// log. For each page, the offset of its newest frame up to that commit is kept.
/// </summary>
internal sealed class WalFile
{
    private const int HeaderBytes = 32;
    private const int FrameHeaderBytes = 24;
    private const uint MagicLittleEndian = 0x377f0682;
    private const uint MagicBigEndian = 0x377f0683;

    private WalFile(
        uint salt1,
        uint salt2,
        long lastCommitFrame,
        (uint, uint) commitChecksum,
        Dictionary<uint, long> pages)
    {
        Salt1 = salt1;
        Salt2 = salt2;
        LastCommitFrame = lastCommitFrame;
        CommitChecksum = commitChecksum;
        PageOffsets = pages;
    }

    /// <summary>The header's salts: they change whenever SQLite restarts the log.</summary>
    public uint Salt1 { get; }

    /// <inheritdoc cref="Salt1"/>
    public uint Salt2 { get; }

    /// <summary>Number of the last valid commit frame (1-based), 0 when the log holds no commit.</summary>
    public long LastCommitFrame { get; }

    /// <summary>
    /// The cumulative checksum at the last commit frame: it covers the header and every frame up to
    /// it, so equal salts, frame count and checksum mean the same committed log.
    /// </summary>
    public (uint S0, uint S1) CommitChecksum { get; }

    /// <summary>Page number to file offset of the page data of its newest committed frame.</summary>
    public IReadOnlyDictionary<uint, long> PageOffsets { get; }

    /// <summary>An empty log.</summary>
    public static WalFile Empty { get; } = new(0, 0, 0, default, []);

    /// <summary>
    /// Parses the log open at <paramref name="handle"/> for a database of <paramref name="pageSize"/>,
    /// up to frame <paramref name="frameLimit"/> (the last frame readers may see, from the WAL index).
    /// </summary>
    public static WalFile Read(SafeFileHandle handle, int pageSize, long frameLimit = long.MaxValue)
    {
        long length = RandomAccess.GetLength(handle);
        if (length < HeaderBytes)
        {
            return Empty;
        }

        byte[] header = new byte[HeaderBytes];
        RandomAccess.Read(handle, header, 0);
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        if ((magic != MagicLittleEndian && magic != MagicBigEndian)
            || BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)) != (uint)pageSize)
        {
            return Empty;
        }

        bool bigEndian = magic == MagicBigEndian;
        uint s0 = 0, s1 = 0;
        Checksum(header.AsSpan(0, 24), bigEndian, ref s0, ref s1);
        if (s0 != BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(24))
            || s1 != BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28)))
        {
            return Empty;
        }

        uint salt1 = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        uint salt2 = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20));
        var committed = new Dictionary<uint, long>();
        var uncommitted = new Dictionary<uint, long>();
        long lastCommit = 0;
        (uint, uint) commitChecksum = default;
        byte[] frame = new byte[FrameHeaderBytes + pageSize];
        long frameBytes = frame.Length;
        for (long frameNumber = 1;
             frameNumber <= frameLimit && HeaderBytes + (frameNumber * frameBytes) <= length;
             frameNumber++)
        {
            long offset = HeaderBytes + ((frameNumber - 1) * frameBytes);
            if (RandomAccess.Read(handle, frame, offset) != frame.Length)
            {
                break;
            }

            var frameHeader = frame.AsSpan(0, FrameHeaderBytes);
            uint page = BinaryPrimitives.ReadUInt32BigEndian(frameHeader);
            uint commitSize = BinaryPrimitives.ReadUInt32BigEndian(frameHeader[4..]);
            if (page == 0
                || BinaryPrimitives.ReadUInt32BigEndian(frameHeader[8..]) != salt1
                || BinaryPrimitives.ReadUInt32BigEndian(frameHeader[12..]) != salt2)
            {
                break;
            }

            Checksum(frameHeader[..8], bigEndian, ref s0, ref s1);
            Checksum(frame.AsSpan(FrameHeaderBytes), bigEndian, ref s0, ref s1);
            if (s0 != BinaryPrimitives.ReadUInt32BigEndian(frameHeader[16..])
                || s1 != BinaryPrimitives.ReadUInt32BigEndian(frameHeader[20..]))
            {
                break;
            }

            uncommitted[page] = offset + FrameHeaderBytes;
            if (commitSize != 0)
            {
                foreach (var (p, o) in uncommitted)
                {
                    committed[p] = o;
                }

                uncommitted.Clear();
                lastCommit = frameNumber;
                commitChecksum = (s0, s1);
            }
        }

        return new WalFile(salt1, salt2, lastCommit, commitChecksum, committed);
    }

    /// <summary>Reads only the header's salts, to learn whether the log was restarted.</summary>
    public static (uint Salt1, uint Salt2) ReadSalts(SafeFileHandle handle)
    {
        byte[] header = new byte[HeaderBytes];
        if (RandomAccess.Read(handle, header, 0) < HeaderBytes)
        {
            return (0, 0);
        }

        return (
            BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16)),
            BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20)));
    }

    /// <summary>SQLite's WAL checksum: pairs of 32-bit words in the log's byte order, accumulated.</summary>
    private static void Checksum(ReadOnlySpan<byte> data, bool bigEndian, ref uint s0, ref uint s1)
    {
        for (int i = 0; i + 8 <= data.Length; i += 8)
        {
            uint x0 = bigEndian
                ? BinaryPrimitives.ReadUInt32BigEndian(data[i..])
                : BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            uint x1 = bigEndian
                ? BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..])
                : BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            unchecked
            {
                s0 += x0 + s1;
                s1 += x1 + s0;
            }
        }
    }
}
