using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Haven.Core.Snapshots;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;

namespace Haven.Core.Sources.Sqlite;

/// <summary>
/// A transactionally consistent view of a live SQLite database, read page by page without copying
/// the file. A read transaction is held for the reader's whole life: in rollback-journal mode its
/// SHARED lock keeps writers from changing the main file; in WAL mode its read mark keeps
/// checkpoints from copying newer frames into the main file, while writers go on appending to the log.
/// Each page is taken from its newest log frame up to the view's commit, else from the main file.
/// </summary>
internal sealed class SqliteSnapshotReader : IDisposable
{
    private static readonly byte[] HeaderMagic = "SQLite format 3\0"u8.ToArray();

    private readonly string _path;
    private SqliteConnection? _reader;
    private SafeFileHandle _database = null!;
    private SafeFileHandle? _wal;
    private WalFile _walFile = WalFile.Empty;
    private bool _sized;

    private SqliteSnapshotReader(string path) => _path = path;

    public int PageSize { get; private set; }

    public long PageCount { get; private set; }

    public string JournalMode { get; private set; } = "";

    public long UserVersion { get; private set; }

    public string SchemaHash { get; private set; } = "";

    public Dictionary<string, long> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// What the database's files looked like when the view was established (null where the file
    /// system cannot say); <see cref="SourceEvidence.Checked"/> is set once quick_check passed.
    /// </summary>
    public SourceEvidence? Evidence { get; private set; }

    /// <summary>
    /// Establishes the consistent view and reads its facts (page count, schema, row counts, and
    /// with <paramref name="checkIntegrity"/> quick_check). Throws a <see cref="HavenException"/>
    /// naming the file on bad input.
    /// </summary>
    public static SqliteSnapshotReader Open(string path, bool checkIntegrity = true)
    {
        var reader = OpenView(path);
        try
        {
            reader.ReadFacts(checkIntegrity);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Establishes the consistent view only: the read transaction, the log parsed, the
    /// <see cref="Evidence"/> observed; <see cref="ReadFacts"/> comes next unless the caller can
    /// prove from the evidence that nothing changed since an earlier snapshot.
    /// </summary>
    public static SqliteSnapshotReader OpenView(string path)
    {
        var reader = new SqliteSnapshotReader(Path.GetFullPath(path));
        try
        {
            reader.Begin();
            return reader;
        }
        catch (SqliteException e)
        {
            reader.Dispose();
            throw Translate(e, reader._path);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private void Begin()
    {
        EnsureLooksLikeSqlite(_path);
        _database = SharedFileHandles.Open(_path);
        _reader = OpenConnection(_path);
        JournalMode = Scalar<string>(_reader, "PRAGMA journal_mode").ToLowerInvariant();
        PageSize = (int)Scalar<long>(_reader, "PRAGMA page_size");
        if (JournalMode == "wal")
        {
            BeginInWalMode();
        }
        else
        {
            Execute(_reader, "BEGIN");
            Scalar<long>(_reader, "SELECT count(*) FROM sqlite_master");
            Observe(WalFile.Empty, walUsed: false);
        }
    }

    /// <summary>
    /// Starts the read transaction while another connection holds the write lock, so that no commit
    /// can land between the start of the view and the parsing of the log; the write lock is held only
    /// for that parse, never for the backup.
    /// </summary>
    private void BeginInWalMode()
    {
        using var writer = OpenConnection(_path);
        Execute(writer, "BEGIN IMMEDIATE");
        try
        {
            Execute(_reader!, "BEGIN");
            Scalar<long>(_reader!, "SELECT count(*) FROM sqlite_master");
            string walPath = _path + "-wal";
            if (!File.Exists(walPath))
            {
                Observe(WalFile.Empty, walUsed: false);
                return;
            }

            _wal = SharedFileHandles.Open(walPath);
            var (backfilled, maxFrame) = ReadWalIndex(_path + "-shm");
            var wal = WalFile.Read(_wal, PageSize, maxFrame);
            if (maxFrame != wal.LastCommitFrame)
            {
                throw new HavenException(
                    $"Could not establish a consistent view of '{_path}': its write-ahead log ends at " +
                    $"frame {wal.LastCommitFrame} but its index says {maxFrame}.",
                    "Try again; if it persists, run 'PRAGMA wal_checkpoint' on the database.");
            }

            _walFile = backfilled >= maxFrame ? WalFile.Empty : wal;
            Observe(wal, walUsed: _walFile != WalFile.Empty);
        }
        finally
        {
            Execute(writer, "ROLLBACK");
        }
    }

    /// <summary>
    /// Records the <see cref="Evidence"/>, inside the read transaction (in WAL mode also while the
    /// write lock is held, so no commit is between the log parsed and the files observed).
    /// </summary>
    private void Observe(WalFile wal, bool walUsed)
    {
        // The system clock, not an injected one: it is compared with the kernel's file times, and it
        // is read before the file's status so that any later write carries a later status time.
        DateTime observedAt = DateTime.UtcNow;
        if (SharedFileHandles.State(_database) is not { } state)
        {
            return;
        }

        byte[] counter = new byte[4];
        bool hasHeader = RandomAccess.Read(_database, counter, 24) == counter.Length;
        Evidence = new SourceEvidence
        {
            Device = state.Device,
            Inode = state.Inode,
            Size = state.Size,
            ModifiedNs = state.ModifiedNs,
            ChangedNs = state.ChangedNs,
            ChangeCounter = hasHeader ? BinaryPrimitives.ReadUInt32BigEndian(counter) : 0,
            WalSalt1 = wal.Salt1,
            WalSalt2 = wal.Salt2,
            WalFrames = wal.LastCommitFrame,
            WalChecksum1 = wal.CommitChecksum.S0,
            WalChecksum2 = wal.CommitChecksum.S1,
            WalUsed = walUsed,
            ObservedAt = observedAt,
        };
    }

    /// <summary>Reads nBackfill and mxFrame from the WAL index (the -shm file); kept open with the view.</summary>
    private static (long Backfilled, long MaxFrame) ReadWalIndex(string shmPath)
    {
        var shm = SharedFileHandles.Open(shmPath);
        byte[] header = new byte[136];
        if (RandomAccess.Read(shm, header, 0) < header.Length)
        {
            return (0, 0);
        }

        long maxFrame = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
        long backfilled = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(96));
        return (backfilled, maxFrame);
    }

    /// <summary>
    /// Reads the view's page count, user_version, schema hash and row counts, and with
    /// <paramref name="checkIntegrity"/> runs quick_check (a corrupt database is refused). Uses only
    /// SQLite's connection, never the raw handles <see cref="ReadPages"/> reads, so the two may run
    /// at the same time on different threads.
    /// </summary>
    public void ReadFacts(bool checkIntegrity)
    {
        try
        {
            ReadFactsInView(checkIntegrity);
        }
        catch (SqliteException e)
        {
            throw Translate(e, _path);
        }
    }

    /// <summary>
    /// Reads the view's page count and user_version only: all that reading the pages needs, so that
    /// <see cref="ReadFacts"/> (the slow part) can run on another thread while they are read.
    /// </summary>
    public void ReadSize()
    {
        try
        {
            PageCount = Scalar<long>(_reader!, "PRAGMA page_count");
            UserVersion = Scalar<long>(_reader!, "PRAGMA user_version");
            _sized = true;
        }
        catch (SqliteException e)
        {
            throw Translate(e, _path);
        }
    }

    private void ReadFactsInView(bool checkIntegrity)
    {
        if (!_sized)
        {
            ReadSize();
        }

        if (checkIntegrity)
        {
            string result = Scalar<string>(_reader!, "PRAGMA quick_check(1)");
            if (result != "ok")
            {
                throw CorruptSource(_path, result.Split('\n')[0].Trim());
            }

            Evidence = Evidence is null ? null : Evidence with { Checked = true };
        }

        var schema = new StringBuilder();
        var tables = new List<string>();
        using (var command = _reader!.CreateCommand())
        {
            command.CommandText = "SELECT type, name, tbl_name, coalesce(sql, '') FROM " +
                "sqlite_master ORDER BY type, name";
            using var rows = command.ExecuteReader();
            while (rows.Read())
            {
                schema.Append(rows.GetString(0)).Append('\0').Append(rows.GetString(1)).Append('\0')
                    .Append(rows.GetString(2)).Append('\0').Append(rows.GetString(3)).Append('\n');
                if (rows.GetString(0) == "table"
                    && !rows.GetString(3).StartsWith("CREATE VIRTUAL", StringComparison.OrdinalIgnoreCase))
                {
                    tables.Add(rows.GetString(1));
                }
            }
        }

        SchemaHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(schema.ToString())));
        foreach (string table in tables)
        {
            Tables[table] = CountRows(_reader!, table);
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> pages from page <paramref name="first"/> (1-based): one
    /// sequential read of the main file, then the pages whose newest version is in the log.
    /// </summary>
    public void ReadPages(long first, int count, Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = RandomAccess.Read(_database, buffer[done..], ((first - 1) * PageSize) + done);
            if (read == 0)
            {
                // The main file may be shorter than the view when the last pages live only in the log.
                buffer[done..].Clear();
                break;
            }

            done += read;
        }

        if (_walFile.PageOffsets.Count == 0)
        {
            return;
        }

        for (int i = 0; i < count; i++)
        {
            if (_walFile.PageOffsets.TryGetValue((uint)(first + i), out long walOffset))
            {
                RandomAccess.Read(_wal!, buffer.Slice(i * PageSize, PageSize), walOffset);
            }
        }
    }

    /// <summary>
    /// Makes a statement running on SQLite's connection (from another thread) stop soon with an error.
    /// </summary>
    public void Interrupt()
    {
        if (_reader?.Handle is { } handle)
        {
            SQLitePCL.raw.sqlite3_interrupt(handle);
        }
    }

    /// <summary>
    /// Confirms that the log was not restarted while it was read; a restart can only happen when
    /// every frame was already in the main file, and it would mean log frames were overwritten.
    /// </summary>
    public void EnsureStillConsistent()
    {
        if (_wal is null || _walFile.LastCommitFrame == 0)
        {
            return;
        }

        if (WalFile.ReadSalts(_wal) != (_walFile.Salt1, _walFile.Salt2))
        {
            throw new HavenException(
                $"The write-ahead log of '{_path}' was restarted during the backup; the snapshot was not saved.",
                "Run the backup again.");
        }
    }

    internal static void EnsureLooksLikeSqlite(string path)
    {
        if (Directory.Exists(path))
        {
            throw new HavenException($"'{path}' is a folder, not a SQLite database.");
        }

        if (!File.Exists(path))
        {
            throw new HavenException($"The database '{path}' does not exist.", "Check the path.");
        }

        if (new FileInfo(path).Length == 0)
        {
            // SQLite treats an empty file as an empty database; an app may have just created it.
            return;
        }

        byte[] header = new byte[HeaderMagic.Length];
        var handle = SharedFileHandles.Open(Path.GetFullPath(path));
        if (RandomAccess.Read(handle, header, 0) < header.Length || !header.AsSpan().SequenceEqual(HeaderMagic))
        {
            throw new HavenException($"'{path}' is not a SQLite database (its header is not 'SQLite format 3').");
        }
    }

    internal static SqliteConnection OpenConnection(string path, bool readOnly = false)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 10000");
        return connection;
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The number of rows in <paramref name="table"/> (any name, quoted here).</summary>
    internal static long CountRows(SqliteConnection connection, string table) =>
        Scalar<long>(connection, $"SELECT count(*) FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");

    internal static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = command.ExecuteScalar();
        return (T)Convert.ChangeType(value!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Turns SQLite's errors into messages a person can act on.</summary>
    internal static HavenException Translate(SqliteException e, string path) => e.SqliteErrorCode switch
    {
        5 or 6 => new BusyException(
            $"The database '{path}' is locked by another process.",
            "Try again when its writer is idle."),
        11 => CorruptSource(path, e.Message),
        8 => new HavenException(
            $"SQLite could not open '{path}' for reading in WAL mode: it needs to create " +
            $"or write '{Path.GetFileName(path)}-shm' beside it.",
            "Run Haven as the user that runs the app (or one that may write in the database's folder)."),
        14 => new HavenException(
            $"SQLite could not open '{path}' (unable to open the file or its folder).",
            "Check the path and that this user may read it."),
        26 => new HavenException($"'{path}' is not a SQLite database ({e.Message})."),
        _ => new HavenException($"SQLite failed on '{path}': {e.Message}", inner: e),
    };

    private static IntegrityException CorruptSource(string path, string detail) => new(
        $"The database '{path}' is corrupt ({detail}); it was not backed up.",
        "Restore it from an earlier snapshot with 'haven restore latest --to PATH' (the damaged file is " +
        "kept as a pre-restore snapshot), or repair it with sqlite3's .recover.");

    /// <summary>
    /// Ends the read transaction and closes SQLite's connection; the raw handles stay open (see
    /// <see cref="SharedFileHandles"/>).
    /// </summary>
    public void Dispose()
    {
        if (_reader is not null)
        {
            try
            {
                Execute(_reader, "COMMIT");
            }
            catch (SqliteException)
            {
            }

            _reader.Dispose();
            _reader = null;
        }

    }
}
