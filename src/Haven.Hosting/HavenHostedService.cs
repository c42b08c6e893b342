using Haven.Core.Backup;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// Haven's life inside the host. Start: the launch snapshot in the background (or first, when
/// <see cref="LaunchOptions.RequireBackupWithin"/> says the newest one is too old), the critical-
/// operation loop and the schedules; startup never waits otherwise. Stop: no new work, the
/// in-flight backup completes unless the host's shutdown timeout expires, in which case it is
/// abandoned (Haven.Core lists nothing for it); then pending requests and the optional final
/// snapshot.
/// </summary>
internal sealed class HavenHostedService(
    IOptions<HavenOptions> options,
    BackupEngine engine,
    CriticalOperationQueue queue,
    HavenStatus status,
    TimeProvider time,
    ILogger<HavenHostedService> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<Task> _running = [];
    private Task? _stop;
    private int _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        bool launched = false;
        if (settings.Launch.RequireBackupWithin is { } limit
            && await LastBackupTooOldAsync(limit, cancellationToken).ConfigureAwait(false))
        {
            // Throws when it fails: the app asked to refuse to start without a recent backup.
            await engine.BackupAsync(Triggers.Launch, "app started; newest snapshot was too old", cancellationToken)
                .ConfigureAwait(false);
            launched = true;
        }

        if (settings.Launch.Enabled && !launched)
        {
            queue.Launch = Task.Run(() => LaunchAsync(_abandon.Token), CancellationToken.None);
            _running.Add(queue.Launch);
        }

        _running.Add(Task.Run(() => queue.RunAsync(_stopping.Token, _abandon.Token), CancellationToken.None));
        StartSchedule("backup", settings.Schedule.Cron, settings.Schedule.TimeZone,
            () => engine.BackupAsync(Triggers.Schedule, "scheduled: " + settings.Schedule.Cron, _abandon.Token));
        StartSchedule("drill", settings.Drill.Cron, settings.Drill.TimeZone, () => engine.DrillAsync(_abandon.Token));
    }

    private async Task<bool> LastBackupTooOldAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        await engine.OpenAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().UtcDateTime;
        bool tooOld = false;
        foreach (string source in BackupEngine.SqliteSources(options.Value))
        {
            var last = status.Sources.GetValueOrDefault(source)?.LastSuccess;
            if (last is null || now - last > limit)
            {
                HostingLog.LaunchRequired(logger, source, limit);
                tooOld = true;
            }
        }

        return tooOld;
    }

    private async Task LaunchAsync(CancellationToken abandon)
    {
        try
        {
            await engine.BackupAsync(Triggers.Launch, "app started", abandon).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged, audited and shown by the health check; a failed launch snapshot never stops the app.
        }
    }

    private void StartSchedule(string job, string? cron, string timeZone, Func<Task> run)
    {
        if (!string.IsNullOrWhiteSpace(cron))
        {
            var schedule = BackupSchedule.Parse(cron, timeZone);
            _running.Add(Task.Run(
                () => ScheduleLoop.RunAsync(job, schedule, run, time, logger, _stopping.Token),
                CancellationToken.None));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may be stopped twice, concurrently: WebApplicationFactory stops the host while the
        // app's own Run() reacts to ApplicationStopping by stopping it too and then disposing the
        // services. Every caller waits for the one stop, so that no caller returns (and lets the host
        // dispose this service) while the first stop is still in flight.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Interlocked.CompareExchange(ref _stop, stop.Task, null);
        if (first is not null)
        {
            return WaitForStopAsync(first, cancellationToken);
        }

        _ = RunStopAsync(stop, cancellationToken);
        return stop.Task;
    }

    private async Task WaitForStopAsync(Task stop, CancellationToken cancellationToken)
    {
        // This caller's shutdown timeout abandons the in-flight backup as the first caller's does.
        using var timeout = cancellationToken.Register(Abandon);
        await stop.ConfigureAwait(false);
    }

    private async Task RunStopAsync(TaskCompletionSource done, CancellationToken cancellationToken)
    {
        try
        {
            await StopCoreAsync(cancellationToken).ConfigureAwait(false);
            done.TrySetResult();
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        // Cancel synchronously: CancelAsync runs the callbacks later on the thread pool, and a
        // disposal in between (see StopAsync) would drop them, leaving the loops waiting forever.
        Cancel(_stopping);
        using var timeout = cancellationToken.Register(Abandon);
        await Task.WhenAll(_running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_abandon.IsCancellationRequested)
        {
            return;
        }

        // Requests still waiting for their window hold changes no snapshot has: cover them now.
        bool covered = await RunQuietlyAsync(() => queue.RunPendingAsync(_abandon.Token)).ConfigureAwait(false);
        if (options.Value.Shutdown.FinalSnapshot && !covered)
        {
            HostingLog.FinalSnapshot(logger, "app stopping");
            await RunQuietlyAsync(async () =>
            {
                await engine.BackupAsync(Triggers.CriticalOperation, "final snapshot: app stopping", _abandon.Token)
                    .ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed, hence already cancelled by Dispose.
        }
    }

    private void Abandon()
    {
        try
        {
            HostingLog.BackupAbandoned(logger);
            _abandon.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed before its stop timeout fired: nothing is left to abandon.
        }
    }

    private static async Task<bool> RunQuietlyAsync(Func<Task<bool>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Recorded by the engine; shutdown goes on.
            return true;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Disposed without a stop (or before it ended): make the stop a no-op, end the loops and
        // abandon any in-flight backup before the sources go away, so that nothing waits on
        // registrations that disposal drops.
        Interlocked.CompareExchange(ref _stop, Task.CompletedTask, null);
        Cancel(_stopping);
        Cancel(_abandon);
        _stopping.Dispose();
        _abandon.Dispose();
    }
}
