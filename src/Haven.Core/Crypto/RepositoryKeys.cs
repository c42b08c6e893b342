using System.Security.Cryptography;
using System.Text;

namespace Haven.Core.Crypto;

/// <summary>
/// The master key of a repository and the subkeys derived from it with HKDF-SHA256. The master key
/// is never stored in the clear: it lives only in key slots, wrapped by a key derived from a secret.
/// </summary>
public sealed class RepositoryKeys : IDisposable
{
    /// <summary>Length in bytes of the master key and of every subkey.</summary>
    public const int KeyBytes = 32;

    private readonly byte[] _master;

    internal RepositoryKeys(byte[] master)
    {
        if (master.Length != KeyBytes)
        {
            throw new ArgumentException("A master key is 32 bytes.", nameof(master));
        }

        _master = master;
        DataKey = Derive("haven data key v1");
        ChunkIdKey = Derive("haven chunk-id key v1");
        AuditKey = Derive("haven audit-log key v1");
    }

    /// <summary>Encrypts every object (packs, indexes, snapshots) with AES-256-GCM.</summary>
    internal byte[] DataKey { get; }

    /// <summary>Keys the HMAC that names chunks, so that storage never learns content from ids.</summary>
    internal byte[] ChunkIdKey { get; }

    /// <summary>Authenticates the audit log's events.</summary>
    internal byte[] AuditKey { get; }

    internal ReadOnlySpan<byte> Master => _master;

    /// <summary>Generates a fresh random master key.</summary>
    public static RepositoryKeys Generate() => new(RandomNumberGenerator.GetBytes(KeyBytes));

    private byte[] Derive(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _master, KeyBytes, salt: [], info: Encoding.ASCII.GetBytes(purpose));

    /// <inheritdoc />
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_master);
        CryptographicOperations.ZeroMemory(DataKey);
        CryptographicOperations.ZeroMemory(ChunkIdKey);
        CryptographicOperations.ZeroMemory(AuditKey);
    }
}
