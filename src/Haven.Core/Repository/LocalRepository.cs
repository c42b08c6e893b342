using System.Security.Cryptography;
using System.Text.Json;
using Haven.Core.Audit;
using Haven.Core.Chunking;
using Haven.Core.Crypto;
using Haven.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Core.Repository;

/// <summary>
/// A repository in a local folder:
/// <c>config</c> (format version, clear), <c>keys/</c> (key slots, clear parameters, wrapped key),
/// <c>data/XX/PACK</c> (packs), <c>index/ID</c> (chunk id to pack), <c>snapshots/ID</c> (manifests),
/// <c>tmp/</c> (temporary files, cleaned when a writer takes the lock) and <c>lock</c>.
/// Everything but config and keys is encrypted and authenticated.
/// </summary>
public sealed partial class LocalRepository : IDisposable
{
    private const string ConfigKind = "haven-repository";
    private const string KeySlotKind = "haven-keyslot";

    private readonly RepositoryKeys _keys;
    private ChunkIndex? _index;

    private LocalRepository(
        string root,
        RepositoryConfig config,
        RepositoryKeys keys,
        string slotId,
        TimeProvider time,
        ILogger? logger)
    {
        Root = root;
        Config = config;
        _keys = keys;
        UnlockedSlot = slotId;
        Time = time;
        Cipher = new ObjectCipher(keys.DataKey);
        Audit = new AuditLog(this, keys.AuditKey, logger ?? NullLogger.Instance);
    }

    /// <summary>The repository's audit log.</summary>
    public AuditLog Audit { get; }

    /// <summary>The repository folder.</summary>
    public string Root { get; }

    /// <summary>Format version and id.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>The key slot that the secret opened.</summary>
    public string UnlockedSlot { get; }

    /// <summary>Clock for every recorded time.</summary>
    public TimeProvider Time { get; }

    internal ObjectCipher Cipher { get; }

    internal ReadOnlySpan<byte> ChunkIdKey => _keys.ChunkIdKey;

    internal string TempDirectory => Path.Combine(Root, "tmp");

    internal string KeysDirectory => Path.Combine(Root, "keys");

    internal string DataDirectory => Path.Combine(Root, "data");

    internal string IndexDirectory => Path.Combine(Root, "index");

    internal string SnapshotsDirectory => Path.Combine(Root, "snapshots");

    internal string LockPath => Path.Combine(Root, "lock");

    internal string PackPath(string pack) => Path.Combine(DataDirectory, pack[..2], pack);

    /// <summary>
    /// Creates a repository in an empty or missing folder, with one key slot for <paramref name="secret"/>.
    /// </summary>
    public static LocalRepository Init(string root, Secret secret, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        time ??= TimeProvider.System;
        root = Path.GetFullPath(root);
        if (File.Exists(root))
        {
            throw new UsageException(
                $"'{root}' is a file; a repository is a folder.",
                "Choose a path for a new folder.");
        }

        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new UsageException(
                $"'{root}' is not empty; a repository is created only in an empty or new folder.",
                "Choose a new folder, or use the existing repository there without 'init'.");
        }

        foreach (string folder in new[] { "keys", "data", "index", "snapshots", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
        }

        var keys = RepositoryKeys.Generate();
        var slot = KeySlot.Create(keys, secret, time.GetUtcNow());
        var config = new RepositoryConfig(
            RepositoryConfig.CurrentFormat,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var repository = new LocalRepository(root, config, keys, slot.Id, time, logger);
        repository.WriteKeySlot(slot);
        string body = JsonSerializer.Serialize(config, RepositoryJson.Default.RepositoryConfig);
        AtomicFile.Write(
            Path.Combine(root, "config"),
            ChecksummedFile.Encode(ConfigKind, body),
            repository.TempDirectory);
        repository.Audit.Append(AuditEventTypes.RepositoryCreated, new Dictionary<string, string>
        {
            ["repository"] = config.Id,
            ["format"] = config.Format.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["slot"] = slot.Id,
            ["slotKind"] = slot.Kind,
        });
        return repository;
    }

    /// <summary>
    /// Opens a repository with a secret. Throws <see cref="WrongKeyException"/> when no slot opens,
    /// <see cref="IntegrityException"/> when the clear files are damaged, and a
    /// <see cref="HavenException"/> for a missing repository or a newer format.
    /// </summary>
    public static LocalRepository Open(string root, Secret secret, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        // A Haven process killed while pg_dump ran leaves its password file behind: any later one removes it.
        Sources.Postgres.PostgresProcess.RemoveStaleFolders();
        root = Path.GetFullPath(root);
        var config = ReadConfig(root);
        var (slots, damaged) = ReadKeySlots(root);
        foreach (var slot in slots.Where(s => s.Accepts(secret)))
        {
            var keys = slot.TryUnwrap(secret);
            if (keys is not null)
            {
                return new LocalRepository(root, config, keys, slot.Id, time ?? TimeProvider.System, logger);
            }
        }

        if (damaged.Count > 0)
        {
            throw new IntegrityException(
                damaged[0].Message,
                "A key slot file was changed or damaged; restore the keys/ folder from a copy of " +
                "the repository, or open it with another key slot's secret.");
        }

        if (slots.Count == 0)
        {
            throw new IntegrityException(
                $"The repository at '{root}' has no key slots (its keys/ folder " +
                $"is empty or missing): nothing can open it.",
                "Restore the keys/ folder from a copy of the repository.");
        }

        string what = secret.Kind == SecretKind.Passphrase ? "The passphrase" : $"The key file '{secret.KeyFilePath}'";
        AuditLog.NoteRefusal(
            root,
            "open repository",
            $"{(secret.Kind == SecretKind.Passphrase ? "wrong passphrase" : "wrong key file")}",
            (time ?? TimeProvider.System).GetUtcNow().UtcDateTime);
        throw new WrongKeyException(
            $"{what} does not open any key slot of the repository at '{root}'.",
            secret.Kind == SecretKind.Passphrase
                ? "Check the passphrase (and which of HAVEN_PASSPHRASE, " +
                    "HAVEN_PASSPHRASE_FILE is set), or open it with a key file."
                : "Check the key file, or open the repository with a passphrase.");
    }

    private static RepositoryConfig ReadConfig(string root)
    {
        string path = Path.Combine(root, "config");
        if (!File.Exists(path))
        {
            throw new UsageException(
                $"There is no Haven repository at '{root}' (no config file).",
                "Create one with 'haven init', or point --repo / HAVEN_REPOSITORY at an existing repository.");
        }

        string body = ChecksummedFile.Decode(ConfigKind, File.ReadAllBytes(path), path);
        RepositoryConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(body, RepositoryJson.Default.RepositoryConfig);
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"Repository file '{path}' is damaged: {e.Message}", inner: e);
        }

        if (config is null || config.Format < 1)
        {
            throw new IntegrityException($"Repository file '{path}' is damaged: no format version.");
        }

        if (config.Format > RepositoryConfig.CurrentFormat)
        {
            throw new HavenException(
                $"The repository at '{root}' has format {config.Format}, newer than this " +
                $"Haven reads (format {RepositoryConfig.CurrentFormat}).",
                "Upgrade Haven to open it; nothing was changed.");
        }

        return config;
    }

    /// <summary>The key slots, and a failure for each damaged slot file.</summary>
    internal static (List<KeySlot> Slots, List<IntegrityException> Damaged) ReadKeySlots(string root)
    {
        var slots = new List<KeySlot>();
        var damaged = new List<IntegrityException>();
        string folder = Path.Combine(root, "keys");
        if (!Directory.Exists(folder))
        {
            return (slots, damaged);
        }

        foreach (string path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(path).StartsWith('.'))
            {
                continue;
            }

            try
            {
                var slot = KeySlot.FromJson(ChecksummedFile.Decode(KeySlotKind, File.ReadAllBytes(path), path), path);
                if (slot.Id != Path.GetFileName(path))
                {
                    throw new IntegrityException($"Key slot file '{path}' is damaged: it names slot {slot.Id}.");
                }

                slots.Add(slot);
            }
            catch (IntegrityException e)
            {
                damaged.Add(e);
            }
        }

        return (slots, damaged);
    }

    /// <summary>The key slots that can be read.</summary>
    public IReadOnlyList<KeySlot> KeySlots() => ReadKeySlots(Root).Slots;

    /// <summary>Adds a key slot for <paramref name="secret"/>; the data is not touched.</summary>
    public KeySlot AddKeySlot(Secret secret)
    {
        var slot = KeySlot.Create(_keys, secret, Time.GetUtcNow());
        WriteKeySlot(slot);
        Audit.Append(
            AuditEventTypes.KeySlotAdded,
            new Dictionary<string, string> { ["slot"] = slot.Id, ["slotKind"] = slot.Kind });
        return slot;
    }

    /// <summary>Removes a key slot; refuses to remove the last one, which would lock everyone out.</summary>
    public void RemoveKeySlot(string id)
    {
        var slots = KeySlots();
        if (!slots.Any(s => s.Id == id))
        {
            throw new UsageException(
                $"There is no key slot '{id}' in the repository.",
                "List slots with 'haven key list'.");
        }

        if (slots.Count == 1)
        {
            throw new UsageException(
                $"Key slot '{id}' is the last one; removing it would make the repository unreadable forever.",
                "Add another slot first.");
        }

        File.Delete(Path.Combine(KeysDirectory, id));
        AtomicFile.SyncDirectory(KeysDirectory);
        Audit.Append(AuditEventTypes.KeySlotRemoved, new Dictionary<string, string> { ["slot"] = id });
    }

    private void WriteKeySlot(KeySlot slot) =>
        AtomicFile.Write(
            Path.Combine(KeysDirectory, slot.Id),
            ChecksummedFile.Encode(KeySlotKind, slot.ToJson()),
            TempDirectory);

    /// <summary>
    /// Takes the repository's writer lock. After a crashed writer, it removes the temporary files it
    /// left behind and indexes the packs it completed (see <see cref="AdoptUnindexedPacks"/>).
    /// </summary>
    public RepositoryLock Lock(string operation)
    {
        RepositoryLock repositoryLock;
        try
        {
            repositoryLock = RepositoryLock.Acquire(LockPath, operation, Time);
        }
        catch (BusyException e)
        {
            Audit.Append(
                AuditEventTypes.OperationRefused,
                new Dictionary<string, string> { ["operation"] = operation, ["reason"] = e.Message });
            throw;
        }

        CleanTemporaryFiles();
        if (repositoryLock.BrokeStaleLock is { } broken)
        {
            int adopted = AdoptUnindexedPacks();
            Audit.Append(
                AuditEventTypes.LockBroken,
                new Dictionary<string, string>
                {
                    ["holder"] = broken,
                    ["operation"] = operation,
                    ["adoptedPacks"] = adopted.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
        }

        return repositoryLock;
    }

    private void CleanTemporaryFiles()
    {
        if (!Directory.Exists(TempDirectory))
        {
            Directory.CreateDirectory(TempDirectory);
            return;
        }

        foreach (string file in Directory.EnumerateFiles(TempDirectory))
        {
            AtomicFile.TryDelete(file);
        }
    }

    /// <summary>Seals and stores a small object (index, snapshot) atomically.</summary>
    internal long WriteObject(string folder, string type, string name, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedObject = SealObject(type, name, plaintext);
        AtomicFile.Write(Path.Combine(folder, name), sealedObject, TempDirectory);
        return sealedObject.Length;
    }

    /// <summary>A small object's stored form: compressed, then sealed under its type and name.</summary>
    internal byte[] SealObject(string type, string name, ReadOnlySpan<byte> plaintext) =>
        Cipher.Seal(type, name, Compression.Zstd.Compress(plaintext));

    /// <summary>Reads, authenticates and decompresses a small object.</summary>
    internal byte[] ReadObject(string folder, string type, string name, string where)
    {
        byte[] plaintext = Cipher.Open(type, name, File.ReadAllBytes(Path.Combine(folder, name)), where);
        return Compression.Zstd.Decompress(plaintext, where);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Cipher.Dispose();
        _keys.Dispose();
    }
}
