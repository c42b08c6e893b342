using System.Globalization;
using Haven.Core.Backup;
using Haven.Hosting.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Haven.Hosting.Tests;

/// <summary>
/// Scheduled snapshots in a real host and repository, with a fake clock moved by the test: no sleeps.
/// </summary>
public sealed class ScheduleLoopTests
{
    private const int NextRunEvent = 4120;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task HourlySchedule_AcrossClocksGoingBack_OneSnapshotPerRealHour_TimesInUtc()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        string database = folder.File("therapy.db");
        TestRepository.Execute(database, "PRAGMA journal_mode=WAL; CREATE TABLE t (x)");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-24T23:30:00Z", CultureInfo.InvariantCulture));
        using var logs = new CapturingLoggerProvider();
        using var host = BuildHost(repository, database, clock, logs);
        await host.StartAsync();

        // Each step moves the clock one real hour; the loop logs its next run once its timer is set.
        for (int step = 1; step <= 4; step++)
        {
            await logs.WaitForAsync(NextRunEvent, step, Timeout);
            TestRepository.Execute(database, $"INSERT INTO t VALUES ({step})");
            clock.Advance(TimeSpan.FromHours(1));
        }

        var planned = await logs.WaitForAsync(NextRunEvent, 5, Timeout);
        await host.StopAsync();

        // 01:00 BST (00:00 UTC) and 01:00 GMT (01:00 UTC) are different real hours: both run, one hour apart.
        Assert.Equal(
            [
                "2026-10-25T00:00:00",
                "2026-10-25T01:00:00",
                "2026-10-25T02:00:00",
                "2026-10-25T03:00:00",
                "2026-10-25T04:00:00",
            ],
            planned.Select(m => m[(m.IndexOf("at ", StringComparison.Ordinal) + 3)..][..19]).ToList());
        Assert.All(planned, m => Assert.EndsWith("+00:00", m, StringComparison.Ordinal));
        var times = repository.Snapshots().Where(s => s.Trigger == Triggers.Schedule)
            .Select(s => s.Time.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(
            ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z", "2026-10-25T03:30:00Z"],
            times);
    }

    private static IHost BuildHost(
        TestRepository repository,
        string database,
        TimeProvider clock,
        CapturingLoggerProvider logs)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Haven:Repository"] = repository.Root,
            ["Haven:KeyFile"] = repository.KeyFile,
            ["Haven:Sources:0:Kind"] = "sqlite",
            ["Haven:Sources:0:Path"] = database,
            ["Haven:Launch:Enabled"] = "false",
            ["Haven:Schedule:Cron"] = "0 * * * *",
            ["Haven:Schedule:TimeZone"] = "Europe/London",
        });
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton(clock);
        builder.Services.AddHaven();
        return builder.Build();
    }
}
