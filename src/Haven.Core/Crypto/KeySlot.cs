using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace Haven.Core.Crypto;

/// <summary>
/// The master key wrapped for one passphrase or one key file. A slot stores only what is needed to
/// unwrap it: the KDF and its parameters, the salt, and the wrapped key (AES-256-GCM). Parameters
/// are stored per slot so that changing the defaults never locks out an old repository.
/// </summary>
public sealed class KeySlot
{
    /// <summary>Argon2id memory for new passphrase slots, in KiB (64 MiB).</summary>
    public const long DefaultMemoryKiB = 64 * 1024;

    /// <summary>Argon2id passes for new passphrase slots.</summary>
    public const long DefaultIterations = 3;

    /// <summary>Slot id: 8 hex characters, also the file name under keys/.</summary>
    public required string Id { get; init; }

    /// <summary>"passphrase" or "key-file".</summary>
    public required string Kind { get; init; }

    /// <summary>When the slot was added (UTC).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>"argon2id" for passphrases, "hkdf-sha256" for key files.</summary>
    public required string Kdf { get; init; }

    /// <summary>Argon2id memory in KiB (0 for key files).</summary>
    public long MemoryKiB { get; init; }

    /// <summary>Argon2id passes (0 for key files).</summary>
    public long Iterations { get; init; }

    /// <summary>Argon2id lanes (0 for key files).</summary>
    public int Parallelism { get; init; }

    /// <summary>KDF salt, base64.</summary>
    public required string Salt { get; init; }

    /// <summary>
    /// The master key encrypted under the slot's key-encryption key, base64 (nonce || ciphertext || tag).
    /// </summary>
    public required string WrappedKey { get; init; }

    /// <summary>Wraps <paramref name="keys"/>' master key for <paramref name="secret"/> in a new slot.</summary>
    public static KeySlot Create(RepositoryKeys keys, Secret secret, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(secret);
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        bool passphrase = secret.Kind == SecretKind.Passphrase;
        var slot = new KeySlot
        {
            Id = id,
            Kind = passphrase ? "passphrase" : "key-file",
            Created = now.ToUniversalTime(),
            Kdf = passphrase ? "argon2id" : "hkdf-sha256",
            MemoryKiB = passphrase ? DefaultMemoryKiB : 0,
            Iterations = passphrase ? DefaultIterations : 0,
            Parallelism = passphrase ? 1 : 0,
            Salt = Convert.ToBase64String(salt),
            WrappedKey = string.Empty,
        };
        byte[] kek = slot.DeriveKeyEncryptionKey(secret);
        try
        {
            using var cipher = new ObjectCipher(kek);
            return new KeySlot
            {
                Id = slot.Id, Kind = slot.Kind, Created = slot.Created, Kdf = slot.Kdf,
                MemoryKiB = slot.MemoryKiB, Iterations = slot.Iterations, Parallelism = slot.Parallelism,
                Salt = slot.Salt,
                WrappedKey = Convert.ToBase64String(cipher.Seal("keyslot", id, keys.Master)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>Whether this slot was made for the same kind of secret as <paramref name="secret"/>.</summary>
    public bool Accepts(Secret secret) =>
        secret is not null && (secret.Kind == SecretKind.Passphrase) == (Kind == "passphrase");

    /// <summary>
    /// Unwraps the master key, or returns null when <paramref name="secret"/> does not open this slot.
    /// </summary>
    public RepositoryKeys? TryUnwrap(Secret secret)
    {
        byte[] kek = DeriveKeyEncryptionKey(secret);
        try
        {
            using var cipher = new ObjectCipher(kek);
            return new RepositoryKeys(
                cipher.Open("keyslot", Id, Convert.FromBase64String(WrappedKey), $"key slot {Id}"));
        }
        catch (IntegrityException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private byte[] DeriveKeyEncryptionKey(Secret secret)
    {
        byte[] salt = Convert.FromBase64String(Salt);
        if (Kdf == "argon2id")
        {
            var parameters = new Argon2Parameters
            {
                DegreeOfParallelism = Parallelism,
                MemorySize = MemoryKiB,
                NumberOfPasses = Iterations,
            };
            var argon = PasswordBasedKeyDerivationAlgorithm.Argon2id(parameters);
            return argon.DeriveBytes(secret.Bytes, salt, RepositoryKeys.KeyBytes);
        }

        if (Kdf == "hkdf-sha256")
        {
            byte[] output = new byte[RepositoryKeys.KeyBytes];
            HKDF.DeriveKey(
                HashAlgorithmName.SHA256,
                secret.Bytes,
                output,
                salt,
                Encoding.ASCII.GetBytes("haven key-file slot v1"));
            return output;
        }

        throw new HavenException(
            $"Key slot {Id} uses the key derivation '{Kdf}', which this version of Haven does not know.",
            "Upgrade Haven.");
    }

    /// <summary>Serialises the slot as JSON (the body of keys/ID).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, KeySlotJson.Default.KeySlot);

    /// <summary>
    /// Parses a slot; throws <see cref="IntegrityException"/> naming <paramref name="path"/> on malformed content.
    /// </summary>
    public static KeySlot FromJson(string json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(json, KeySlotJson.Default.KeySlot)
                ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"Key slot file '{path}' is damaged: {e.Message}", inner: e);
        }
    }

    /// <summary>A one-line description for listings.</summary>
    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture,
        "{0} {1} added {2:yyyy-MM-ddTHH:mm:ssZ} ({3})",
        Id,
        Kind,
        Created.UtcDateTime,
        Kdf == "argon2id" ? $"argon2id m={MemoryKiB}KiB t={Iterations} p={Parallelism}" : Kdf);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(KeySlot))]
internal sealed partial class KeySlotJson : JsonSerializerContext;
