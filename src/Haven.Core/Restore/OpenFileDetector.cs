namespace Haven.Core.Restore;

/// <summary>
/// Finds processes that hold a file open. On Linux every process's open files are listed under
/// /proc/PID/fd; a database opened by an idle connection holds no lock, so locks alone cannot tell.
/// </summary>
internal static class OpenFileDetector
{
    /// <summary>Process ids (including this one) that have any of <paramref name="paths"/> open.</summary>
    public static IReadOnlyList<int> ProcessesUsing(params string[] paths)
    {
        var found = new SortedSet<int>();
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return [.. found];
        }

        var targets = new HashSet<string>(paths.Select(Path.GetFullPath), StringComparer.Ordinal);
        var own = Sources.Sqlite.SharedFileHandles.OwnDescriptors();
        foreach (string processDir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(processDir), out int pid))
            {
                continue;
            }

            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(processDir, "fd")))
                {
                    if (pid == Environment.ProcessId && own.Contains(Path.GetFileName(fd)))
                    {
                        // Haven's own read handles (kept open on purpose) are not a user of the file.
                        continue;
                    }

                    string? target = new FileInfo(fd).LinkTarget;
                    if (target is not null && targets.Contains(target))
                    {
                        found.Add(pid);
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended, or its files are not ours to see.
            }
        }

        return [.. found];
    }
}
