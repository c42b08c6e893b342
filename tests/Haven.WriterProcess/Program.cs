// A separate process that uses a SQLite database while tests back it up or restore over it, so
// they exercise cross-process locking as the host app does, not two connections in one process.
// Usage: Haven.WriterProcess write|hold <db-path> <seconds>
//   write: commits ledger transactions as fast as it can; prints "ready" after the first commit.
//   hold:  opens the database, reads it, and keeps it open (idle); prints "ready" once open.
// Either stops after <seconds> or when its standard input closes, printing "committed N".
using System.Globalization;
using Haven.Synthetic;
using Microsoft.Data.Sqlite;

if (args.Length != 3
    || args[0] is not ("write" or "hold")
    || !double.TryParse(args[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
    || seconds <= 0)
{
    Console.Error.WriteLine("Usage: Haven.WriterProcess write|hold <db-path> <seconds>");
    return 2;
}

var path = args[1];
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
_ = Task.Run(() =>
{
    // The parent closes our standard input to ask us to stop.
    Console.In.ReadToEnd();
    stop.Cancel();
});

if (args[0] == "hold")
{
    using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
    connection.Open();
    using (var command = connection.CreateCommand())
    {
        command.CommandText = "SELECT count(*) FROM sqlite_master";
        command.ExecuteScalar();
    }

    Console.Out.WriteLine("ready");
    Console.Out.Flush();
    stop.Token.WaitHandle.WaitOne();
    Console.Out.WriteLine("committed 0");
    return 0;
}

LedgerWriter.Prepare(path);
var writer = new LedgerWriter
{
    // The parent waits for this line before starting a backup, so flush it at once.
    Committed = count =>
    {
        if (count == 1)
        {
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
        }
    },
};

var committed = writer.Run(path, stop.Token);
Console.Out.WriteLine($"committed {committed}");
Console.Out.Flush();
return 0;
