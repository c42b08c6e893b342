using System.Security.Cryptography;
using System.Text;

namespace Haven.Core.Crypto;

/// <summary>
/// Authenticated encryption of repository objects with AES-256-GCM. Each object is
/// nonce (12 bytes, random) || ciphertext || tag (16 bytes). The associated data binds the
/// ciphertext to the object's type and name, so an object moved, renamed or swapped for another
/// fails to open.
/// </summary>
public sealed class ObjectCipher : IDisposable
{
    /// <summary>Bytes added to every plaintext: nonce and tag.</summary>
    public const int Overhead = NonceBytes + TagBytes;

    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[] _key;
    private readonly ThreadLocal<AesGcm> _aes;

    /// <summary>Creates a cipher over a 32-byte key.</summary>
    public ObjectCipher(byte[] key)
    {
        _key = key;
        _aes = new ThreadLocal<AesGcm>(() => new AesGcm(_key, TagBytes), trackAllValues: true);
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> as an object of <paramref name="type"/> named <paramref name="name"/>.
    /// </summary>
    public byte[] Seal(string type, string name, ReadOnlySpan<byte> plaintext)
    {
        byte[] output = new byte[plaintext.Length + Overhead];
        Seal(type, name, plaintext, output);
        return output;
    }

    /// <summary>
    /// Encrypts into <paramref name="output"/>, which must be exactly plaintext length + <see cref="Overhead"/>.
    /// </summary>
    public void Seal(string type, string name, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        Span<byte> nonce = output[..NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        Span<byte> ciphertext = output.Slice(NonceBytes, plaintext.Length);
        Span<byte> tag = output[(NonceBytes + plaintext.Length)..];
        _aes.Value!.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(type, name));
    }

    /// <summary>
    /// Decrypts and authenticates an object. Throws <see cref="IntegrityException"/> naming
    /// <paramref name="where"/> when any byte was changed.
    /// </summary>
    public byte[] Open(string type, string name, ReadOnlySpan<byte> sealedObject, string where)
    {
        if (sealedObject.Length < Overhead)
        {
            throw new IntegrityException($"{where} is damaged: it is shorter than any encrypted object.");
        }

        byte[] plaintext = new byte[sealedObject.Length - Overhead];
        try
        {
            _aes.Value!.Decrypt(
                sealedObject[..NonceBytes],
                sealedObject.Slice(NonceBytes, plaintext.Length),
                sealedObject[(NonceBytes + plaintext.Length)..],
                plaintext,
                AssociatedData(type, name));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new IntegrityException(
                $"{where} is damaged or was tampered with: it failed authentication.",
                inner: e);
        }

        return plaintext;
    }

    private static byte[] AssociatedData(string type, string name) => Encoding.UTF8.GetBytes($"haven/v1/{type}/{name}");

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var aes in _aes.Values)
        {
            aes.Dispose();
        }

        _aes.Dispose();
    }
}
