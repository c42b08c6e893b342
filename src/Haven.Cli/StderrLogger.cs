using Microsoft.Extensions.Logging;

namespace Haven.Cli;

/// <summary>
/// Writes the library's log lines (each audit event among them) to standard error, one line each,
/// so that a service manager or log shipper collects them with the command's output.
/// </summary>
internal sealed class StderrLogger(TextWriter error) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(
        LogLevel logLevel,
        EventId eventId,
        TState state,
        Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            error.WriteLine($"haven: {formatter(state, exception)}");
        }
    }
}
