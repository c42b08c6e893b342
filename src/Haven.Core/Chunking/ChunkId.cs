using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Haven.Core.Chunking;

/// <summary>
/// The name of a chunk: HMAC-SHA256 of its plaintext under the repository's chunk-id key, so that
/// equal content is stored once and storage learns nothing about content from names.
/// </summary>
public readonly record struct ChunkId(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>Length of a chunk id in bytes.</summary>
    public const int Bytes = 32;

    /// <summary>Computes the id of <paramref name="content"/> under <paramref name="key"/>.</summary>
    public static ChunkId Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> content)
    {
        Span<byte> mac = stackalloc byte[Bytes];
        HMACSHA256.HashData(key, content, mac);
        return Read(mac);
    }

    /// <summary>
    /// Computes the id of <paramref name="content"/> with a reusable HMAC-SHA256 (keyed with the chunk-id key).
    /// </summary>
    public static ChunkId Compute(IncrementalHash hmac, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(hmac);
        Span<byte> mac = stackalloc byte[Bytes];
        hmac.AppendData(content);
        hmac.GetHashAndReset(mac);
        return Read(mac);
    }

    /// <summary>Reads an id from its 32-byte form.</summary>
    public static ChunkId Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64BigEndian(source),
        BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[24..]));

    /// <summary>Writes the 32-byte form of this id.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    /// <summary>Parses the 64-character lower-case hex form.</summary>
    public static ChunkId Parse(string hex) => Read(Convert.FromHexString(hex));

    /// <summary>The 64-character lower-case hex form.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Bytes];
        Write(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}

/// <summary>What a chunk holds.</summary>
public enum ChunkType : byte
{
    /// <summary>One page of a SQLite database (or one block of another source).</summary>
    Page = 1,

    /// <summary>A node of a snapshot's page map: the ids of its children, in order.</summary>
    Tree = 2,
}
