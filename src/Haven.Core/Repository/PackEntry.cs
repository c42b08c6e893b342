using Haven.Core.Chunking;

namespace Haven.Core.Repository;

/// <summary>One chunk as listed in a pack's header and in index files.</summary>
public readonly record struct PackEntry(
    ChunkId Id, ChunkType Type, long FrameOffset, int FrameLength, int OffsetInFrame, int Length)
{
    /// <summary>Bytes of one entry in a pack header or index file.</summary>
    internal const int EncodedBytes = ChunkId.Bytes + 1 + 8 + 4 + 4 + 4;

    /// <summary>The location of this entry in pack <paramref name="pack"/>.</summary>
    public ChunkLocation In(string pack) => new(pack, FrameOffset, FrameLength, OffsetInFrame, Length, Type);

    internal void Write(BinaryWriter writer)
    {
        Span<byte> id = stackalloc byte[ChunkId.Bytes];
        Id.Write(id);
        writer.Write(id);
        writer.Write((byte)Type);
        writer.Write(FrameOffset);
        writer.Write(FrameLength);
        writer.Write(OffsetInFrame);
        writer.Write(Length);
    }

    internal static PackEntry Read(BinaryReader reader)
    {
        var id = ChunkId.Read(reader.ReadBytes(ChunkId.Bytes));
        var type = (ChunkType)reader.ReadByte();
        return new PackEntry(id, type, reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
    }
}
