using System.Security.Cryptography;
using System.Text;

namespace Haven.Core.Crypto;

/// <summary>
/// What opens a key slot: a passphrase (normalised to Unicode NFC, then UTF-8, so that composed and
/// decomposed accents open the same slot) or the bytes of a key file.
/// </summary>
public sealed class Secret : IDisposable
{
    /// <summary>Smallest key file Haven accepts, in bytes: 256 bits of key material.</summary>
    public const int MinimumKeyFileBytes = 32;

    private readonly byte[] _bytes;

    private Secret(SecretKind kind, byte[] bytes, string? keyFilePath)
    {
        Kind = kind;
        _bytes = bytes;
        KeyFilePath = keyFilePath;
    }

    /// <summary>Whether this is a passphrase or a key file.</summary>
    public SecretKind Kind { get; }

    /// <summary>Where the key file was read from, for messages; null for passphrases.</summary>
    public string? KeyFilePath { get; }

    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A passphrase; normalised to NFC so that the same visible text always derives the same key.</summary>
    public static Secret FromPassphrase(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length == 0)
        {
            throw new UsageException("The passphrase is empty.", "Give a non-empty passphrase.");
        }

        string normalised = passphrase.Normalize(NormalizationForm.FormC);
        return new Secret(SecretKind.Passphrase, Encoding.UTF8.GetBytes(normalised), null);
    }

    /// <summary>Reads a key file; fails with a clear message when it is missing, unreadable or too short.</summary>
    public static Secret FromKeyFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException(
                $"Key file '{path}' is a folder, not a file.",
                "Give the path of the key file itself.");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new UsageException(
                $"Key file '{path}' does not exist.",
                "Check the path given with --key-file or HAVEN_KEY_FILE.");
        }
        catch (DirectoryNotFoundException)
        {
            throw new UsageException(
                $"Key file '{path}' does not exist.",
                "Check the path given with --key-file or HAVEN_KEY_FILE.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException(
                $"Key file '{path}' cannot be read (permission denied).",
                "Run as the user that owns the key file.");
        }
        catch (IOException e)
        {
            throw new UsageException($"Key file '{path}' cannot be read: {e.Message}");
        }

        if (bytes.Length < MinimumKeyFileBytes)
        {
            throw new UsageException(
                $"Key file '{path}' holds {bytes.Length} bytes; a key file needs at least {MinimumKeyFileBytes}.",
                "Create one with 'haven init --key-file NEWFILE' or 'haven key add --new-key-file NEWFILE'.");
        }

        return new Secret(SecretKind.KeyFile, bytes, path);
    }

    /// <summary>Creates a new key file of random bytes, readable only by its owner; refuses to overwrite.</summary>
    public static Secret CreateKeyFile(string path)
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(64);
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new UsageException(
                $"'{path}' already exists; Haven never overwrites it with a new key file.",
                "Choose a new file name.");
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Repository.AtomicFile.Write(path, bytes, directory);
        return new Secret(SecretKind.KeyFile, bytes, path);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}

/// <summary>The kinds of secret that open a key slot.</summary>
public enum SecretKind
{
    /// <summary>A passphrase stretched with Argon2id.</summary>
    Passphrase,

    /// <summary>A file of random bytes, expanded with HKDF.</summary>
    KeyFile,
}
