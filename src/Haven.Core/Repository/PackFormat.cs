using System.Buffers.Binary;
using Haven.Core.Crypto;

namespace Haven.Core.Repository;

/// <summary>
/// The layout of a pack file: encrypted frames (each a zstd-compressed group of chunks), then the
/// encrypted pack header listing every chunk, then the header's length as 4 bytes little-endian.
/// Frames are bound to their pack and offset, the header to its pack, by the cipher's associated data.
/// </summary>
internal static class PackFormat
{
    public const string FrameType = "frame";
    public const string HeaderType = "pack-header";
    public const int LengthSuffixBytes = 4;

    public static string FrameName(string pack, long offset) => $"{pack}/{offset}";

    public static ArraySegment<byte> EncodeHeader(IReadOnlyList<PackEntry> entries)
    {
        using var buffer = new MemoryStream(sizeof(int) + (entries.Count * PackEntry.EncodedBytes));
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(entries.Count);
            foreach (var entry in entries)
            {
                entry.Write(writer);
            }
        }

        return Compression.Zstd.Compress(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static List<PackEntry> DecodeHeader(byte[] compressed, string where)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(Compression.Zstd.Decompress(compressed, where)));
            int count = reader.ReadInt32();
            var entries = new List<PackEntry>(count);
            for (int i = 0; i < count; i++)
            {
                entries.Add(PackEntry.Read(reader));
            }

            return entries;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new IntegrityException($"{where} is damaged: its header does not decode.", inner: e);
        }
    }

    /// <summary>Reads and authenticates a pack's header from its file.</summary>
    public static List<PackEntry> ReadHeader(string path, string pack, ObjectCipher cipher)
    {
        string where = $"Pack {pack}";
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        long size = RandomAccess.GetLength(handle);
        if (size < LengthSuffixBytes + ObjectCipher.Overhead)
        {
            throw new IntegrityException($"{where} is damaged: it is truncated ({size} bytes).");
        }

        Span<byte> suffix = stackalloc byte[LengthSuffixBytes];
        RandomAccess.Read(handle, suffix, size - LengthSuffixBytes);
        long headerLength = BinaryPrimitives.ReadUInt32LittleEndian(suffix);
        if (headerLength > size - LengthSuffixBytes || headerLength < ObjectCipher.Overhead)
        {
            throw new IntegrityException($"{where} is damaged: its header length is impossible.");
        }

        byte[] sealedHeader = new byte[headerLength];
        RandomAccess.Read(handle, sealedHeader, size - LengthSuffixBytes - headerLength);
        var entries = DecodeHeader(cipher.Open(HeaderType, pack, sealedHeader, where), where);
        long framesEnd = size - LengthSuffixBytes - headerLength;
        foreach (var entry in entries)
        {
            if (entry.FrameOffset < 0 || entry.FrameOffset + entry.FrameLength > framesEnd)
            {
                throw new IntegrityException($"{where} is damaged: a frame lies outside the pack.");
            }
        }

        return entries;
    }
}
