using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Haven.Core.Repository;

/// <summary>
/// An exclusive lock on a repository, held by one process while it changes the repository. The lock
/// file names its holder (host, process id, start time, operation). A lock whose holder was on this
/// host and no longer runs is stale and is broken with a note; any other lock makes the second
/// writer fail with a message naming the holder.
/// </summary>
public sealed class RepositoryLock : IDisposable
{
    private readonly string _path;
    private bool _released;

    private RepositoryLock(string path) => _path = path;

    /// <summary>Set when acquiring broke a stale lock: a description of the dead holder.</summary>
    public string? BrokeStaleLock { get; private init; }

    /// <summary>Takes the lock or throws <see cref="BusyException"/> naming its holder.</summary>
    public static RepositoryLock Acquire(string path, string operation, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var holder = new LockHolder(
            Environment.MachineName,
            Environment.ProcessId,
            time.GetUtcNow().UtcDateTime,
            operation);
        byte[] content = JsonSerializer.SerializeToUtf8Bytes(holder, RepositoryJson.Default.LockHolder);
        string? broken = null;
        // Taking the lock, and breaking a stale one, happen one process at a time: otherwise two
        // processes could both find the same dead holder, and the slower would delete the lock the
        // faster had just taken, and both would write.
        using var guard = ProcessFileLock.Acquire(path + GuardSuffix);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    stream.Write(content);
                    stream.Flush(flushToDisk: true);
                }

                AtomicFile.SyncDirectory(Path.GetDirectoryName(path)!);
                return new RepositoryLock(path) { BrokeStaleLock = broken };
            }
            catch (IOException) when (File.Exists(path))
            {
                var existing = ReadHolder(path);
                if (existing is null && !File.Exists(path))
                {
                    // Released by its holder between the two looks: try again.
                    continue;
                }

                if (existing is null ? !IsAbandonedUnreadable(path, time) : !IsStale(existing))
                {
                    throw Locked(existing, path);
                }

                broken = existing is null ? $"an unreadable lock file ({path})" : Describe(existing);
                AtomicFile.TryDelete(path);
            }
        }

        throw Locked(ReadHolder(path), path);
    }

    /// <summary>Suffix of the file beside the lock that serialises taking it (never deleted).</summary>
    internal const string GuardSuffix = ".guard";

    /// <summary>
    /// True while a live writer holds the lock at <paramref name="path"/> (or one on another host,
    /// whose liveness cannot be known here); false when there is no lock or it is stale.
    /// </summary>
    public static bool IsHeld(string path, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!File.Exists(path))
        {
            return false;
        }

        var holder = ReadHolder(path);
        return holder is null ? !IsAbandonedUnreadable(path, time) : !IsStale(holder);
    }

    private static BusyException Locked(LockHolder? holder, string path) => new(
        holder is null
            ? $"The repository is locked (lock file '{path}')."
            : $"The repository is locked by {Describe(holder)}.",
        "Wait for that operation to finish; if its process is gone from another host, delete the lock file '"
            + path
            + "'.");

    private static string Describe(LockHolder holder) => string.Format(
        CultureInfo.InvariantCulture,
        "{0} pid {1} since {2:yyyy-MM-ddTHH:mm:ssZ} ({3})",
        holder.Host, holder.Pid, holder.Since, holder.Operation);

    private static LockHolder? ReadHolder(string path)
    {
        try
        {
            return Validate(JsonSerializer.Deserialize(File.ReadAllBytes(path), RepositoryJson.Default.LockHolder));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static LockHolder? Validate(LockHolder? holder) =>
        holder is { Host.Length: > 0, Pid: > 0 } ? holder : null;

    /// <summary>
    /// A lock file that cannot be parsed was left by a writer killed between creating and filling
    /// it; once it is older than a minute, no live writer can still be filling it.
    /// </summary>
    private static bool IsAbandonedUnreadable(string path, TimeProvider time) =>
        File.Exists(path) && time.GetUtcNow().UtcDateTime - File.GetLastWriteTimeUtc(path) > TimeSpan.FromMinutes(1);

    /// <summary>
    /// A lock is stale when its holder ran on this host and that process is gone, or the process id
    /// now belongs to a process that started after the lock was taken (the id was reused).
    /// </summary>
    private static bool IsStale(LockHolder holder)
    {
        if (!string.Equals(holder.Host, Environment.MachineName, StringComparison.Ordinal))
        {
            return false;
        }

        if (holder.Pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(holder.Pid);
            return process.HasExited
                || process.StartTime.ToUniversalTime() > holder.Since.ToUniversalTime().AddSeconds(1);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        AtomicFile.TryDelete(_path);
    }
}

/// <summary>Who holds a repository lock.</summary>
public sealed record LockHolder(string Host, int Pid, DateTime Since, string Operation);
