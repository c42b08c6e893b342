namespace Haven.Core.Repository;

/// <summary>
/// A lock between processes on a small file that is never deleted: the file is held open with
/// <see cref="FileShare.None"/>, which .NET turns into an exclusive advisory lock that the kernel
/// releases if the holder dies. For short critical sections only.
/// </summary>
internal static class ProcessFileLock
{
    /// <summary>Takes the lock on <paramref name="path"/>, waiting up to ten seconds; dispose to release.</summary>
    public static FileStream Acquire(string path)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }
}
