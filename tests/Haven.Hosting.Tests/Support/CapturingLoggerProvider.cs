using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Haven.Hosting.Tests.Support;

/// <summary>Keeps every log entry, and lets a test wait for the n-th entry with a given event id (no sleeps).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, string Message)> _entries = new();
    private readonly SemaphoreSlim _added = new(0);

    public IReadOnlyList<(int EventId, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public async Task<IReadOnlyList<string>> WaitForAsync(int eventId, int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            var matching = _entries.Where(e => e.EventId == eventId).Select(e => e.Message).ToList();
            if (matching.Count >= count)
            {
                return matching;
            }

            try
            {
                await _added.WaitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"Waited {timeout} for {count} log events {eventId}; saw: {string.Join(" | ", matching)}");
            }
        }
    }

    public void Dispose() => _added.Dispose();

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue((eventId.Id, formatter(state, exception)));
            owner._added.Release();
        }
    }
}
