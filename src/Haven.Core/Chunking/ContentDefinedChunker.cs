using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Haven.Core.Chunking;

/// <summary>
/// Cuts a byte stream into chunks at positions chosen by its content (FastCDC: a gear rolling hash
/// with normalised chunking), so that inserting or deleting bytes in one place moves only the
/// chunk boundaries near it and every other chunk keeps its name. Used for streams with no page
/// structure of their own, such as a PostgreSQL dump.
/// </summary>
/// <remarks>
/// The gear table is derived from the repository's chunk-id key, so where chunks are cut reveals
/// nothing about content to someone who knows only the sizes of stored objects.
/// </remarks>
internal sealed class ContentDefinedChunker
{
    /// <summary>Smallest chunk (except the last one of a stream).</summary>
    public const int MinSize = 512;

    /// <summary>Size the boundary test aims for.</summary>
    public const int AverageSize = 2 * 1024;

    /// <summary>Largest chunk: a cut is forced here.</summary>
    public const int MaxSize = 16 * 1024;

    /// <summary>Recorded in manifests so that a future change of parameters is visible.</summary>
    public const string Description = "fastcdc-gear64 0.5/2/16 KiB";

    // 64-bit gear hash: bit k depends on the last k+1 bytes, so the masks test the top bits. Below the
    // average size the test is harder (13 bits), above it easier (9 bits): sizes cluster near 2-3 KiB.
    // Small chunks matter for databases: an updated row changes the chunk it left and the chunk it
    // moved to, so the cost of changing 1% of rows is about 2% of rows times the chunk size. At 2 KiB,
    // changing 1% of a table's rows adds about a sixth of a first snapshot; at 8 KiB it added a third.
    private const ulong HardMask = ~0UL << (64 - 13);
    private const ulong EasyMask = ~0UL << (64 - 9);

    private readonly ulong[] _gear = new ulong[256];

    /// <param name="key">Secret that seeds the gear table (the repository's chunk-id key).</param>
    public ContentDefinedChunker(ReadOnlySpan<byte> key)
    {
        Span<byte> table = stackalloc byte[256 * sizeof(ulong)];
        HKDF.Expand(HashAlgorithmName.SHA256, key, table, "haven/v1/cdc-gear"u8);
        for (int i = 0; i < _gear.Length; i++)
        {
            _gear[i] = BinaryPrimitives.ReadUInt64LittleEndian(table[(i * sizeof(ulong))..]);
        }
    }

    /// <summary>
    /// Length of the next chunk at the start of <paramref name="data"/>. The caller passes at least
    /// <see cref="MaxSize"/> bytes unless the stream has ended, in which case what is left may be cut short.
    /// </summary>
    public int NextCut(ReadOnlySpan<byte> data)
    {
        if (data.Length <= MinSize)
        {
            return data.Length;
        }

        int end = Math.Min(data.Length, MaxSize);
        int normal = Math.Min(end, AverageSize);
        ulong hash = 0;
        int i = MinSize;
        for (; i < normal; i++)
        {
            hash = (hash << 1) + _gear[data[i]];
            if ((hash & HardMask) == 0)
            {
                return i + 1;
            }
        }

        for (; i < end; i++)
        {
            hash = (hash << 1) + _gear[data[i]];
            if ((hash & EasyMask) == 0)
            {
                return i + 1;
            }
        }

        return end;
    }
}
