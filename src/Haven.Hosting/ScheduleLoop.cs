using Microsoft.Extensions.Logging;

namespace Haven.Hosting;

/// <summary>
/// Runs a job at each occurrence of a schedule, waiting on the injected <see cref="TimeProvider"/>
/// (so tests move a fake clock instead of sleeping). Occurrences missed while a run overran are
/// skipped, not piled up, and an occurrence never runs twice even if a timer fires early.
/// </summary>
internal static class ScheduleLoop
{
    public static async Task RunAsync(
        string job,
        BackupSchedule schedule,
        Func<Task> run,
        TimeProvider time,
        ILogger logger,
        CancellationToken stopping)
    {
        var last = time.GetUtcNow();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                if (schedule.Next(now > last ? now : last) is not { } next)
                {
                    return;
                }

                HostingLog.NextRun(logger, job, next);
                if (next > now)
                {
                    await Task.Delay(next - now, time, stopping).ConfigureAwait(false);
                }

                last = next;
                await RunOnceAsync(run).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    private static async Task RunOnceAsync(Func<Task> run)
    {
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Already logged, audited and counted by the engine; the schedule carries on.
        }
    }
}
