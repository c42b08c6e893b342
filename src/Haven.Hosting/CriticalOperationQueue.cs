using System.Threading.Channels;
using Haven.Core.Backup;
using Haven.Core.Snapshots;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// <see cref="IBackupTrigger"/>: gathers requests into one pending batch, and a loop (run by
/// <see cref="HavenHostedService"/>) snapshots each batch no sooner than the coalesce window
/// after the previous batch started. Requests made while a batch runs join the next one, which is
/// what lets an awaiting caller rely on the snapshot it gets holding its change.
/// </summary>
internal sealed class CriticalOperationQueue(
    IOptions<HavenOptions> options,
    BackupEngine engine,
    TimeProvider time) : IBackupTrigger
{
    private readonly Lock _lock = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private CoalescedRequests? _pending;
    private CoalescedRequests? _running;
    private DateTimeOffset? _lastStart;

    /// <summary>The launch snapshot, so that <see cref="FlushAsync"/> covers it too.</summary>
    internal Task Launch { get; set; } = Task.CompletedTask;

    public ValueTask RequestBackupAsync(string reason, CancellationToken cancellationToken = default)
    {
        Enqueue(reason);
        return ValueTask.CompletedTask;
    }

    public Task<IReadOnlyList<Manifest>> RequestBackupAndWaitAsync(
        string reason,
        CancellationToken cancellationToken = default) =>
        Enqueue(reason).Done.Task.WaitAsync(cancellationToken);

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task[] waits;
        lock (_lock)
        {
            waits = [Launch, _running?.Done.Task ?? Task.CompletedTask, _pending?.Done.Task ?? Task.CompletedTask];
        }

        // Failures are the health check's business; a flush only waits for the outcome.
        await Task.WhenAll(waits).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private CoalescedRequests Enqueue(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        CoalescedRequests batch;
        lock (_lock)
        {
            batch = _pending ??= new CoalescedRequests();
            batch.Add(reason);
        }

        _signal.Writer.TryWrite(true);
        return batch;
    }

    /// <summary>
    /// Runs batches until <paramref name="stopping"/>; each snapshot is cancelled only by <paramref name="abandon"/>.
    /// </summary>
    internal async Task RunAsync(CancellationToken stopping, CancellationToken abandon)
    {
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _signal.Reader.TryRead(out _);
                await WaitForWindowAsync(stopping).ConfigureAwait(false);
                await RunPendingAsync(abandon).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Graceful stop: a batch still pending is covered by the host's final step.
        }
    }

    private async Task WaitForWindowAsync(CancellationToken stopping)
    {
        if (_lastStart is not { } last)
        {
            return;
        }

        var wait = last + options.Value.CriticalOperations.CoalesceWindow - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Snapshots the pending batch, if any; returns whether there was one.</summary>
    internal async Task<bool> RunPendingAsync(CancellationToken abandon)
    {
        CoalescedRequests? batch;
        lock (_lock)
        {
            batch = _pending;
            _pending = null;
            _running = batch;
        }

        if (batch is null)
        {
            return false;
        }

        _lastStart = time.GetUtcNow();
        try
        {
            batch.Done.TrySetResult(
                await engine.BackupAsync(Triggers.CriticalOperation, batch.Describe(), abandon).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            batch.Done.TrySetCanceled(abandon);
        }
        catch (Exception e)
        {
            batch.Done.TrySetException(e);
        }
        finally
        {
            lock (_lock)
            {
                _running = null;
            }
        }

        return true;
    }
}
