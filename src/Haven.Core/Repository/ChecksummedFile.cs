using System.Security.Cryptography;
using System.Text;

namespace Haven.Core.Repository;

/// <summary>
/// The repository's few files in the clear (format version, key slots) carry a SHA-256 of their
/// body on the first line, so that a damaged byte is reported as damage, not as a wrong passphrase.
/// </summary>
internal static class ChecksummedFile
{
    public static byte[] Encode(string kind, string body)
    {
        byte[] bodyBytes = Encoding.UTF8.GetBytes(body);
        string header = $"{kind} sha256:{Convert.ToHexStringLower(SHA256.HashData(bodyBytes))}\n";
        return [.. Encoding.ASCII.GetBytes(header), .. bodyBytes];
    }

    /// <summary>Returns the body, or throws <see cref="IntegrityException"/> naming the file.</summary>
    public static string Decode(string kind, byte[] content, string path)
    {
        int newline = Array.IndexOf(content, (byte)'\n');
        string expectedPrefix = kind + " sha256:";
        if (newline < 0)
        {
            throw Damaged(path);
        }

        string header = Encoding.ASCII.GetString(content, 0, newline);
        if (!header.StartsWith(expectedPrefix, StringComparison.Ordinal))
        {
            throw Damaged(path);
        }

        ReadOnlySpan<byte> body = content.AsSpan(newline + 1);
        string actual = Convert.ToHexStringLower(SHA256.HashData(body));
        if (!string.Equals(header[expectedPrefix.Length..], actual, StringComparison.Ordinal))
        {
            throw Damaged(path);
        }

        return Encoding.UTF8.GetString(body);
    }

    private static IntegrityException Damaged(string path) =>
        new($"Repository file '{path}' is damaged: its checksum does not match its content.");
}
