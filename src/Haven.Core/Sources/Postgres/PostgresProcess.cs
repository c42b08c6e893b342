using System.Diagnostics;
using System.Text;

namespace Haven.Core.Sources.Postgres;

/// <summary>
/// A running pg_dump, pg_dumpall or pg_restore. The password reaches it only through a password
/// file in a private folder (0700, file 0600) named by PGPASSFILE, removed when the process is
/// disposed; Haven's own secrets, PGPASSWORD and any variable whose value holds the password are taken
/// out of its environment. What it writes
/// to stderr is kept (the last 64 KiB) for the error message.
/// </summary>
internal sealed class PostgresProcess : IDisposable
{
    private const string FolderPrefix = "haven-pg-";
    private const int StderrLimit = 64 * 1024;

    private static readonly string[] HiddenVariables =
    [
        "PGPASSWORD", "HAVEN_PG_CONNECTION", "HAVEN_PASSPHRASE", "HAVEN_PASSPHRASE_FILE",
        "HAVEN_KEY_FILE",
    ];

    private readonly Process _process;
    private readonly string? _folder;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrReader;

    private PostgresProcess(Process process, string? folder)
    {
        _process = process;
        _folder = folder;
        _stderrReader = Task.Run(ReadStderr);
    }

    /// <summary>The tool that runs.</summary>
    public required PostgresTool Tool { get; init; }

    /// <summary>The tool's standard output.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>The tool's standard input.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Process id, for tests that stop it on purpose.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <paramref name="tool"/> with <paramref name="arguments"/>.</summary>
    public static PostgresProcess Start(
        PostgresTool tool,
        IEnumerable<string> arguments,
        string? password,
        bool writesInput = false)
    {
        RemoveStaleFolders();
        string? folder = password is null ? null : WritePasswordFile(password);
        var start = new ProcessStartInfo(tool.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = writesInput,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        HideSecrets(start, password);

        if (folder is not null)
        {
            start.Environment["PGPASSFILE"] = Path.Combine(folder, "pgpass");
        }

        // Messages are matched by Haven (permission errors) and shown to operators: one language.
        start.Environment["LC_MESSAGES"] = "C";
        try
        {
            return new PostgresProcess(Process.Start(start)!, folder) { Tool = tool };
        }
        catch
        {
            DeleteFolder(folder);
            throw;
        }
    }

    /// <summary>
    /// Takes Haven's secrets, PGPASSWORD and whatever else carries the password (a deployment's own
    /// connection-string variable, say) out of a child's environment. A user's own PGPASSFILE stays.
    /// </summary>
    public static void HideSecrets(ProcessStartInfo start, string? password)
    {
        ArgumentNullException.ThrowIfNull(start);
        foreach (string name in HiddenVariables)
        {
            start.Environment.Remove(name);
        }

        if (password is { Length: > 0 })
        {
            foreach (string name in start.Environment
                .Where(v => v.Value?.Contains(password, StringComparison.Ordinal) == true)
                .Select(v => v.Key)
                .ToList())
            {
                start.Environment.Remove(name);
            }
        }
    }

    /// <summary>Waits for the tool to end; returns its exit code (128 + signal when killed).</summary>
    public int WaitForExit()
    {
        _process.WaitForExit();
        _stderrReader.Wait();
        return _process.ExitCode;
    }

    /// <summary>What the tool wrote to stderr (its last 64 KiB), trimmed.</summary>
    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString().Trim();
            }
        }
    }

    /// <summary>A one-line description of how the tool ended, for error messages.</summary>
    public string Failure(int exitCode)
    {
        string how = exitCode > 128 ? $"was killed (signal {exitCode - 128})" : $"failed with exit code {exitCode}";
        string errors = Errors;
        string last = errors.Length == 0 ? "" : ": " + string.Join(" / ", errors.Split('\n').TakeLast(3)).Trim();
        return $"{Tool.Name} {how}{last}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // It ended on its own in the meantime.
        }
        finally
        {
            _process.Dispose();
            DeleteFolder(_folder);
        }
    }

    private async Task ReadStderr()
    {
        char[] buffer = new char[4096];
        int read;
        while ((read = await _process.StandardError.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_stderr)
            {
                _stderr.Append(buffer, 0, read);
                if (_stderr.Length > StderrLimit)
                {
                    _stderr.Remove(0, _stderr.Length - StderrLimit);
                }
            }
        }
    }

    /// <summary>
    /// Writes "*:*:*:*:password" (this file serves one process, so every field matches) with ':' and
    /// '\' escaped as libpq expects.
    /// </summary>
    private static string WritePasswordFile(string password)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        PrivateFolder.Create(folder);

        string escaped = password
            .Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace(":", "\\:", StringComparison.Ordinal);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(Path.Combine(folder, "pgpass"), new UTF8Encoding(false), options);
        writer.Write($"*:*:*:*:{escaped}\n");
        return folder;
    }

    private static void DeleteFolder(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Removes password folders left by a Haven process that was killed (run by every Haven
    /// process that opens a repository, and before every PostgreSQL tool starts).
    /// </summary>
    internal static void RemoveStaleFolders()
    {
        try
        {
            foreach (string folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
            {
                string name = Path.GetFileName(folder)[FolderPrefix.Length..];
                if (int.TryParse(name.Split('-')[0], System.Globalization.CultureInfo.InvariantCulture, out int pid)
                    && pid != Environment.ProcessId
                    && !Directory.Exists($"/proc/{pid}"))
                {
                    DeleteFolder(folder);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's folder, or one removed meanwhile: not ours to clean.
        }
    }
}
