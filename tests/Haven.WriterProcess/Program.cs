// A separate process that writes to a SQLite database while a backup runs, so tests exercise
// cross-process locking as the host app does, not just two connections in one process.
// Usage: Haven.WriterProcess <db-path> <seconds>
// Prints "ready" after the first commit and "committed N" at the end.
using System.Globalization;
using Haven.Synthetic;

if (args.Length != 2
    || !double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
    || seconds <= 0)
{
    Console.Error.WriteLine("Usage: Haven.WriterProcess <db-path> <seconds>");
    return 2;
}

var path = args[0];
LedgerWriter.Prepare(path);

using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
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
