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

    [ThreadStatic]
    private static NativeContext? nativeContext;

    /// <summary>Which implementation is in use, for diagnostics.</summary>
    public static string Implementation => Native ? "libzstd" : "ZstdSharp";

    /// <summary>Compresses <paramref name="source"/> into a new array.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> source)
    {
        if (!Native)
        {
            managedCompressor ??= new Compressor(Level);
            return managedCompressor.Wrap(source).ToArray();
        }

        nativeContext ??= new NativeContext();
        byte[] destination = new byte[(int)ZSTD_compressBound((nuint)source.Length)];
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

        return destination.AsSpan(0, (int)written).ToArray();
    }

    /// <summary>
    /// Decompresses one zstd frame; throws <see cref="IntegrityException"/> naming
    /// <paramref name="where"/> if it is not valid.
    /// </summary>
    public static byte[] Decompress(ReadOnlySpan<byte> source, string where)
    {
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

    private static bool TryLoadNative()
    {
        try
        {
            return ZSTD_compressBound(1024) > 0;
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
        [Out] byte[] destination,
        nuint capacity,
        ReadOnlySpan<byte> source,
        nuint size,
        int level);

    [LibraryImport("libzstd.so.1")]
    private static partial uint ZSTD_isError(nuint code);

    /// <summary>One compression context per thread, freed when the thread's context is collected.</summary>
    private sealed class NativeContext
    {
        public nint Compression { get; } = ZSTD_createCCtx();

        ~NativeContext() => ZSTD_freeCCtx(Compression);
    }
}
