namespace Haven.Core.Repository;

/// <summary>Where a chunk is stored: its pack, the encrypted frame holding it, and its place in that frame.</summary>
/// <param name="Pack">Pack id (64 hex characters).</param>
/// <param name="FrameOffset">Byte offset of the frame in the pack file.</param>
/// <param name="FrameLength">Length of the frame as stored (encrypted, compressed).</param>
/// <param name="OffsetInFrame">Offset of the chunk in the frame's plaintext.</param>
/// <param name="Length">Length of the chunk's plaintext.</param>
/// <param name="Type">What the chunk holds.</param>
public readonly record struct ChunkLocation(
    string Pack, long FrameOffset, int FrameLength, int OffsetInFrame, int Length, Chunking.ChunkType Type);
