using System.Runtime.InteropServices;
using ZstdSharp;

namespace Haven.Core.Compression;

/// <summary>
/// zstd compression of frames. Uses the system's libzstd (the reference implementation, about
/// twice as fast as the managed port on this kind of machine) when it can be loaded, else
/// ZstdSharp; both read and write the same standard zstd frames, so repositories move freely
/// between machines with and without it.
/// </summary>
internal static partial class Zstd
{
    /// <summary>Compression level of every frame and object.</summary>
    public const int Level = 3;

    private static readonly bool Native = TryLoadNative();

    [ThreadStatic]
    private static Compressor? managedCompressor;

    [ThreadStatic]
    private static Decompressor? managedDecompressor;

    /// <summary>
    /// Largest frame content size decompressed natively in one call (also excludes libzstd's
    /// "unknown" and "error" answers, which are the two largest 64-bit values).
    /// </summary>
    private const ulong MaxNativeFrameBytes = int.MaxValue - 64;

    [ThreadStatic]
    private static NativeContext? nativeContext;

    /// <summary>Which implementation is in use, for diagnostics.</summary>
    public static string Implementation => Native ? "libzstd" : "ZstdSharp";

    /// <summary>
    /// Compresses <paramref name="source"/> into a new array, of which the returned segment is the
    /// frame (the array has room for the worst case, and is not copied to fit: for a large object
    /// such as an index file, that copy would be the largest allocation of a backup).
    /// </summary>
    public static ArraySegment<byte> Compress(ReadOnlySpan<byte> source)
    {
        byte[] destination = new byte[CompressBound(source.Length)];
        return new ArraySegment<byte>(destination, 0, Compress(source, destination));
    }

    /// <summary>The most bytes <paramref name="length"/> bytes can take once compressed.</summary>
    public static int CompressBound(int length) =>
        Native ? (int)ZSTD_compressBound((nuint)length) : Compressor.GetCompressBound(length);

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>, which has room for
    /// <see cref="CompressBound"/> bytes, and returns the frame's length: a backup reuses a few such
    /// buffers rather than allocating new ones for each MiB it compresses.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!Native)
        {
            managedCompressor ??= new Compressor(Level);
            return managedCompressor.Wrap(source, destination);
        }

        nativeContext ??= new NativeContext();
        nuint written = ZSTD_compressCCtx(
            nativeContext.Compression,
            destination,
            (nuint)destination.Length,
            source,
            (nuint)source.Length,
            Level);
        if (ZSTD_isError(written) != 0)
        {
            throw new InvalidOperationException("zstd failed to compress a frame.");
        }

        return (int)written;
    }

    /// <summary>
    /// Decompresses one zstd frame; throws <see cref="IntegrityException"/> naming
    /// <paramref name="where"/> if it is not valid. With libzstd, a frame that records its content
    /// size (every frame Haven writes does) is decompressed in one call straight into an array of
    /// that size; anything else goes through ZstdSharp, which also reads frames without a size.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> source, string where)
    {
        if (Native)
        {
            ulong size = ZSTD_getFrameContentSize(source, (nuint)source.Length);
            if (size <= MaxNativeFrameBytes)
            {
                return DecompressNative(source, (int)size, where);
            }
        }

        try
        {
            managedDecompressor ??= new Decompressor();
            return managedDecompressor.Unwrap(source).ToArray();
        }
        catch (ZstdException e)
        {
            throw new IntegrityException($"{where} is damaged: it does not decompress.", inner: e);
        }
    }

    private static byte[] DecompressNative(ReadOnlySpan<byte> source, int size, string where)
    {
        nativeContext ??= new NativeContext();
        byte[] destination = new byte[size];
        nuint written = ZSTD_decompressDCtx(
            nativeContext.Decompression,
            destination,
            (nuint)destination.Length,
            source,
            (nuint)source.Length);
        if (ZSTD_isError(written) != 0 || written != (nuint)size)
        {
            throw new IntegrityException($"{where} is damaged: it does not decompress.");
        }

        return destination;
    }

    private static bool TryLoadNative()
    {
        try
        {
            // Four zero bytes are not a frame header: any libzstd that has the function says "error".
            Span<byte> notAFrame = stackalloc byte[4];
            return ZSTD_compressBound(1024) > 0
                && ZSTD_getFrameContentSize(notAFrame, (nuint)notAFrame.Length) > MaxNativeFrameBytes;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport("libzstd.so.1")]
    private static partial nuint ZSTD_compressBound(nuint sourceSize);

    [LibraryImport("libzstd.so.1")]
    private static partial nint ZSTD_createCCtx();

    [LibraryImport("libzstd.so.1")]
    private static partial nuint ZSTD_freeCCtx(nint context);

    [LibraryImport("libzstd.so.1")]
    private static partial nuint ZSTD_compressCCtx(
        nint context,
        Span<byte> destination,
        nuint capacity,
        ReadOnlySpan<byte> source,
        nuint size,
        int level);

    [LibraryImport("libzstd.so.1")]
    private static partial uint ZSTD_isError(nuint code);

    [LibraryImport("libzstd.so.1")]
    private static partial ulong ZSTD_getFrameContentSize(ReadOnlySpan<byte> source, nuint size);

    [LibraryImport("libzstd.so.1")]
    private static partial nint ZSTD_createDCtx();

    [LibraryImport("libzstd.so.1")]
    private static partial nuint ZSTD_freeDCtx(nint context);

    [LibraryImport("libzstd.so.1")]
    private static partial nuint ZSTD_decompressDCtx(
        nint context,
        [Out] byte[] destination,
        nuint capacity,
        ReadOnlySpan<byte> source,
        nuint size);

    /// <summary>
    /// One compression and one decompression context per thread (each made on first use), freed
    /// when the thread's context is collected.
    /// </summary>
    private sealed class NativeContext
    {
        private nint _compression;
        private nint _decompression;

        public nint Compression => _compression != 0 ? _compression : _compression = ZSTD_createCCtx();

        public nint Decompression => _decompression != 0 ? _decompression : _decompression = ZSTD_createDCtx();

        ~NativeContext()
        {
            if (_compression != 0)
            {
                ZSTD_freeCCtx(_compression);
            }

            if (_decompression != 0)
            {
                ZSTD_freeDCtx(_decompression);
            }
        }
    }
}
