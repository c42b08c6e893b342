using System.Diagnostics;

namespace Haven.Bench;

/// <summary>
/// The physical floor for an incremental backup: the pages that differ between two versions of a
/// database, compressed together in groups with zstd -3 (what any page-granular tool must store).
/// </summary>
internal static class Floor
{
    public static double ChangedPagesCompressedMiB(string before, string after)
    {
        const int page = 4096;
        string changed = Path.GetTempFileName();
        using (var a = File.OpenRead(before))
        using (var b = File.OpenRead(after))
        using (var output = File.Create(changed))
        {
            byte[] x = new byte[page], y = new byte[page];
            while (true)
            {
                int readB = b.ReadAtLeast(y, page, throwOnEndOfStream: false);
                if (readB == 0)
                {
                    break;
                }

                int readA = a.ReadAtLeast(x, page, throwOnEndOfStream: false);
                if (readA != readB || !x.AsSpan(0, readA).SequenceEqual(y.AsSpan(0, readB)))
                {
                    output.Write(y, 0, readB);
                }
            }
        }

        string compressed = changed + ".zst";
        Process.Start("zstd", ["-q", "-3", "-B1048576", changed, "-o", compressed])!.WaitForExit();
        double mib = new FileInfo(compressed).Length / 1048576.0;
        File.Delete(changed);
        File.Delete(compressed);
        return mib;
    }
}
