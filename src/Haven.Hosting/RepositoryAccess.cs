using Haven.Core.Backup;
using Haven.Core.Crypto;
using Haven.Core.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// Opens the repository once and keeps it open: opening with a passphrase costs an Argon2id
/// derivation (64 MiB, about a second), which a backup after every critical operation must not
/// pay again. A failed open is tried again on the next backup. Callers hold the engine's gate.
/// </summary>
internal sealed class RepositoryAccess(
    IOptions<HavenOptions> options, TimeProvider time, HavenStatus status, ILoggerFactory loggers) : IDisposable
{
    private readonly ILogger _logger = loggers.CreateLogger("Haven.Hosting");
    private LocalRepository? _repository;

    public async Task<LocalRepository> GetAsync(CancellationToken cancellationToken)
    {
        if (_repository is not null)
        {
            return _repository;
        }

        var settings = options.Value;
        string root = Path.GetFullPath(settings.Repository!);
        try
        {
            using var secret = await ResolveSecretAsync(settings, cancellationToken).ConfigureAwait(false);
            _repository = OpenOrCreate(settings, root, secret);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HostingLog.RepositoryUnavailable(_logger, root, BackupEngine.Describe(e));
            throw;
        }

        SeedStatus(_repository, settings);
        return _repository;
    }

    /// <summary>
    /// The secret, from the first source that is set: delegate, key file, passphrase file, environment variable.
    /// </summary>
    internal static async Task<Secret> ResolveSecretAsync(HavenOptions settings, CancellationToken cancellationToken)
    {
        if (settings.SecretProvider is not null)
        {
            return await settings.SecretProvider(cancellationToken).ConfigureAwait(false);
        }

        if (!string.IsNullOrEmpty(settings.KeyFile))
        {
            return Secret.FromKeyFile(settings.KeyFile);
        }

        if (!string.IsNullOrEmpty(settings.PassphraseFile))
        {
            string text = await File.ReadAllTextAsync(settings.PassphraseFile, cancellationToken).ConfigureAwait(false);
            return Secret.FromPassphrase(TrimOneNewline(text));
        }

        string? passphrase = Environment.GetEnvironmentVariable(settings.PassphraseVariable);
        return string.IsNullOrEmpty(passphrase)
            ? throw new Core.UsageException(
                $"No secret for the Haven repository: {settings.PassphraseVariable} is not set.")
            : Secret.FromPassphrase(passphrase);
    }

    private LocalRepository OpenOrCreate(HavenOptions settings, string root, Secret secret)
    {
        var auditLogger = loggers.CreateLogger("Haven.Audit");
        bool empty = !Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any();
        if (settings.CreateRepository && empty)
        {
            var created = LocalRepository.Init(root, secret, time, auditLogger);
            HostingLog.RepositoryCreated(_logger, root);
            return created;
        }

        return LocalRepository.Open(root, secret, time, auditLogger);
    }

    /// <summary>Starts each source's status from the newest snapshot the repository already holds.</summary>
    private void SeedStatus(LocalRepository repository, HavenOptions settings)
    {
        var (manifests, _) = repository.ReadAllSnapshots();
        foreach (string source in BackupEngine.SqliteSources(settings))
        {
            var newest = manifests.LastOrDefault(m => m.Source.Path == source && m.Trigger != Triggers.PreRestore);
            if (newest is not null)
            {
                status.Update(source, s => s.LastSuccess is null || s.LastSuccess < newest.Time
                    ? s with { LastSuccess = newest.Time, LastSnapshotId = newest.Id }
                    : s);
            }
        }
    }

    private static string TrimOneNewline(string text) =>
        text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
        : text.EndsWith('\n') ? text[..^1]
        : text;

    public void Dispose() => _repository?.Dispose();
}
