using Haven.Core.Sources.Sqlite;
using Haven.Core.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Haven.Core.Tests.Sources.Sqlite;

public class WalFileTests
{
    [Fact]
    public void The_log_parses_to_the_frame_count_sqlite_reports_and_stops_at_a_damaged_frame()
    {
        using var folder = new TempFolder();
        string database = folder.File("w.db");
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        Exec(connection, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x TEXT);");
        for (int i = 0; i < 20; i++)
        {
            Exec(connection, $"INSERT INTO t VALUES (printf('%.500c', 'x') || {i});");
        }

        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using (var reader = command.ExecuteReader())
        {
            reader.Read();
            long logFrames = reader.GetInt64(1);
            var wal = Parse(database + "-wal");
            Assert.Equal(logFrames, wal.LastCommitFrame);
            Assert.Contains(1u, wal.PageOffsets.Keys);
        }

        byte[] log = File.ReadAllBytes(database + "-wal");
        long frame = 24 + 4096;
        long fifthFrameData = 32 + (4 * frame) + 24;
        log[fifthFrameData + 100] ^= 0xFF;
        File.WriteAllBytes(folder.File("damaged-wal"), log);
        Assert.True(Parse(folder.File("damaged-wal")).LastCommitFrame < 5);
        Assert.True(Parse(database + "-wal", frameLimit: 3).LastCommitFrame <= 3);
    }

    private static WalFile Parse(string path, long frameLimit = long.MaxValue)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return WalFile.Read(handle, 4096, frameLimit);
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
