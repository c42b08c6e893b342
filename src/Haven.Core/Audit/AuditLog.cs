using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Haven.Core.Crypto;
using Haven.Core.Repository;
using Microsoft.Extensions.Logging;

namespace Haven.Core.Audit;

/// <summary>
/// The repository's append-only, hash-chained, authenticated audit log. Each event is a file
/// audit/SEQ (16 digits), encrypted like every other object and bound to its number; appends are
/// serialised by an OS file lock that dies with its process, and each event is durable before the
/// operation that caused it reports success. Every appended event is also written to the logger,
/// as one structured line.
/// </summary>
public sealed partial class AuditLog
{
    private const string EventType = "audit-event";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly LocalRepository _repository;
    private readonly byte[] _macKey;
    private readonly ILogger _logger;

    internal AuditLog(LocalRepository repository, byte[] macKey, ILogger logger)
    {
        _repository = repository;
        _macKey = macKey;
        _logger = logger;
    }

    internal string Folder => Path.Combine(_repository.Root, "audit");

    internal static string FileName(long seq) => seq.ToString("D16", CultureInfo.InvariantCulture);

    /// <summary>Appends an event and returns it once it is durable.</summary>
    public AuditEvent Append(string type, IReadOnlyDictionary<string, string>? details = null)
    {
        Directory.CreateDirectory(Folder);
        using var appendLock = AcquireAppendLock();
        foreach (var (path, note) in PendingNotes())
        {
            AppendLocked(AuditEventTypes.OperationRefused, note, note.GetValueOrDefault("time"));
            File.Delete(path);
        }

        return AppendLocked(type, details, null);
    }

    private AuditEvent AppendLocked(string type, IReadOnlyDictionary<string, string>? details, string? when)
    {
        var (seq, hash) = Head();
        var unsigned = new AuditEvent
        {
            Seq = seq + 1,
            Time = when is not null
                && DateTime.TryParse(
                    when,
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal,
                    out var noted)
                ? noted
                : _repository.Time.GetUtcNow().UtcDateTime,
            Type = type,
            Host = Environment.MachineName,
            User = Environment.UserName,
            Pid = Environment.ProcessId,
            Version = HavenVersion.Current,
            Details = details ?? new Dictionary<string, string>(),
            Previous = hash,
        };
        var signed = unsigned with { Mac = Mac(unsigned) };
        byte[] plain = JsonSerializer.SerializeToUtf8Bytes(signed, Json);
        AtomicFile.Write(
            Path.Combine(Folder, FileName(signed.Seq)),
            _repository.Cipher.Seal(EventType, FileName(signed.Seq), plain),
            Folder);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string line = string.Join(' ', signed.Details.Select(d => $"{d.Key}={d.Value}"));
            LogEvent(_logger, signed.Seq, signed.Type, line);
        }

        return signed;
    }

    /// <summary>
    /// Notes a refused operation when the repository could not be opened (a wrong secret): without
    /// the key nothing can be encrypted or authenticated, so a small clear note (time, host, user,
    /// process, what was refused; never the secret) waits in audit/pending/ until the next
    /// authenticated append takes it into the chain.
    /// </summary>
    public static void NoteRefusal(string root, string operation, string reason, DateTime utcNow)
    {
        try
        {
            string folder = Path.Combine(root, "audit", "pending");
            Directory.CreateDirectory(folder);
            var note = new Dictionary<string, string>
            {
                ["time"] = utcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                ["host"] = Environment.MachineName,
                ["user"] = Environment.UserName,
                ["pid"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                ["operation"] = operation,
                ["reason"] = reason,
                ["recorded"] = "from a clear note written before the repository could be opened",
            };
            string name = $"{utcNow:yyyyMMddTHHmmssfff}-{Environment.ProcessId}-{Guid.NewGuid():N}.json";
            AtomicFile.Write(Path.Combine(folder, name), JsonSerializer.SerializeToUtf8Bytes(note, Json), folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only repository cannot take the note; the refusal itself still stands.
        }
    }

    private IEnumerable<(string Path, Dictionary<string, string> Note)> PendingNotes()
    {
        string folder = Path.Combine(Folder, "pending");
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (string path in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            Dictionary<string, string>? note = null;
            try
            {
                note = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(path), Json);
            }
            catch (JsonException)
            {
                note = new Dictionary<string, string>
                {
                    ["operation"] = "unknown",
                    ["reason"] = "an unreadable refusal note"
                };
            }

            yield return (path, note ?? []);
        }
    }

    /// <summary>
    /// Events from the first, oldest first; stops with <see cref="IntegrityException"/> at a damaged one.
    /// </summary>
    public IEnumerable<AuditEvent> Events()
    {
        foreach (long seq in EventNumbers())
        {
            yield return Read(seq).Event;
        }
    }

    /// <summary>The last event's number and hash: (0, "") for an empty log.</summary>
    public (long Seq, string Hash) Head()
    {
        long last = EventNumbers().DefaultIfEmpty(0).Max();
        return last == 0 ? (0, "") : (last, StoredHash(last));
    }

    /// <summary>Numbers of the event files present, ascending.</summary>
    internal IEnumerable<long> EventNumbers() =>
        Directory.Exists(Folder)
            ? Directory.EnumerateFiles(Folder)
                .Select(Path.GetFileName)
                .Where(n => n!.Length == 16 && n.All(char.IsAsciiDigit))
                .Select(n => long.Parse(n!, CultureInfo.InvariantCulture))
                .Order()
            : [];

    /// <summary>
    /// Reads one event and the hash of its stored form. Throws <see cref="IntegrityException"/> if damaged.
    /// </summary>
    internal (AuditEvent Event, string Hash) Read(long seq)
    {
        string name = FileName(seq);
        string where = $"Audit event {seq}";
        byte[] stored = File.ReadAllBytes(Path.Combine(Folder, name));
        byte[] plain = _repository.Cipher.Open(EventType, name, stored, where);
        AuditEvent? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<AuditEvent>(plain, Json);
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{where} is damaged: it does not parse.", inner: e);
        }

        if (parsed is null
            || parsed.Seq != seq
            || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(parsed.Mac),
                Encoding.ASCII.GetBytes(Mac(parsed with { Mac = "" }))))
        {
            throw new IntegrityException($"{where} is damaged: its MAC does not match its content.");
        }

        return (parsed, Convert.ToHexStringLower(SHA256.HashData(stored)));
    }

    /// <summary>
    /// SHA-256 of an event's stored (encrypted) form: what the next event chains to. It needs no
    /// key, so a damaged last event never stops new events from being chained (and verified later).
    /// </summary>
    private string StoredHash(long seq) =>
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Folder, FileName(seq)))));

    /// <summary>MAC over the canonical JSON of the event without its MAC.</summary>
    private string Mac(AuditEvent unsigned)
    {
        byte[] canonical = JsonSerializer.SerializeToUtf8Bytes(unsigned with { Mac = "" }, Json);
        return Convert.ToHexStringLower(HMACSHA256.HashData(_macKey, canonical));
    }

    /// <summary>
    /// Serialises appends between processes with an OS lock on audit/.lock (released by the kernel
    /// if the holder dies), waiting up to ten seconds.
    /// </summary>
    private FileStream AcquireAppendLock() => ProcessFileLock.Acquire(Path.Combine(Folder, ".lock"));

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "audit #{Seq} {Type} {Details}")]
    private static partial void LogEvent(ILogger logger, long seq, string type, string details);
}
