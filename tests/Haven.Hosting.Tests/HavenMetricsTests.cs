using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Haven.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Haven.Hosting.Tests;

public sealed class HavenMetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task Backups_EmitCountsDurationBytesFailuresAndAge()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        using var factory = new TherapyApiFactory(folder, repository);
        using var client = factory.CreateClient();
        var measurements = new ConcurrentQueue<(string Name, double Value)>();
        using var listener = Listen(factory.Services.GetRequiredService<IMeterFactory>(), measurements);

        await factory.Trigger.FlushAsync().WaitAsync(Timeout);
        await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person E" });
        await factory.Trigger.RequestBackupAndWaitAsync("metrics test").WaitAsync(Timeout);
        repository.BreakData();
        await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person F" });
        await Assert.ThrowsAnyAsync<Exception>(
            () => factory.Trigger.RequestBackupAndWaitAsync("will fail").WaitAsync(Timeout));
        repository.RepairData();
        listener.RecordObservableInstruments();

        var byName = measurements.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Select(m => m.Value).ToList());
        Assert.True(byName["haven.backups"].Sum() >= 1);
        Assert.True(byName["haven.backup.added_bytes"].Sum() > 0);
        Assert.All(byName["haven.backup.duration"], d => Assert.True(d >= 0));
        Assert.Equal(1, byName["haven.backup.failures"].Sum());
        Assert.Single(byName["haven.backup.last_success_age"]);
    }

    private static MeterListener Listen(IMeterFactory meterFactory, ConcurrentQueue<(string, double)> measurements)
    {
        var listener = new MeterListener
        {
            // Only this app's meter: other tests' hosts run in parallel in the same process.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == HavenMetrics.MeterName && instrument.Meter.Scope == meterFactory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(
            (instrument, value, _, _) => measurements.Enqueue((instrument.Name, value)));
        listener.SetMeasurementEventCallback<double>(
            (instrument, value, _, _) => measurements.Enqueue((instrument.Name, value)));
        listener.Start();
        return listener;
    }
}
