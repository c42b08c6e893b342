using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Haven.Core.Backup;
using Haven.Hosting.Tests.Support;

namespace Haven.Hosting.Tests.Samples;

/// <summary>
/// The sample web app with Haven wired in, booted in-process on a real SQLite file and a real repository.
/// </summary>
public sealed class TherapyApiTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task Launch_SnapshotAppearsInBackground_FirstRequestNotDelayed()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        using var factory = new TherapyApiFactory(folder, repository);

        // Hold the repository lock: the launch snapshot cannot finish until it is released,
        // so a request answered meanwhile proves startup does not wait for the backup.
        using (var holder = repository.Open())
        using (holder.Lock("test holds the lock"))
        {
            using var client = factory.CreateClient();
            var response = await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person A" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Empty(holder.Snapshots());
        }

        await factory.Trigger.FlushAsync().WaitAsync(Timeout);
        var launch = Assert.Single(repository.Snapshots());
        Assert.Equal(Triggers.Launch, launch.Trigger);
        Assert.Equal(factory.DatabasePath, launch.Source.Path);
        Assert.Equal(1, launch.Sqlite!.Tables["patients"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task DeletePatient_TakesCriticalOperationSnapshotNamingIt()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        using var factory = new TherapyApiFactory(folder, repository);
        using var client = factory.CreateClient();
        var created = await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person B" });
        long id = (await created.Content.ReadFromJsonAsync<IdResponse>())!.Id;

        var deleted = await client.DeleteAsync($"/patients/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await factory.Trigger.FlushAsync().WaitAsync(Timeout);

        var snapshot = Assert.Single(repository.Snapshots(), s => s.Trigger == Triggers.CriticalOperation);
        Assert.Contains($"patient {id} deleted", snapshot.Reason, StringComparison.Ordinal);
        Assert.Equal(0, snapshot.Sqlite!.Tables["patients"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task BurstOfThousandRequests_YieldsBoundedSnapshots_LastHoldsLastChange()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        var window = TimeSpan.FromSeconds(1);
        using var factory = new TherapyApiFactory(folder, repository, new Dictionary<string, string?>
        {
            ["Haven:CriticalOperations:CoalesceWindow"] = window.ToString(),
            ["Haven:Launch:Enabled"] = "false",
        });
        using var client = factory.CreateClient();
        var created = await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person C" });
        long id = (await created.Content.ReadFromJsonAsync<IdResponse>())!.Id;

        var stopwatch = Stopwatch.StartNew();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={factory.DatabasePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous=OFF";
            command.ExecuteNonQuery();
            command.CommandText = $"INSERT INTO mood_logs (patient_id, mood, time) VALUES ({id}, 5, 'synthetic')";
            for (int i = 0; i < 999; i++)
            {
                command.ExecuteNonQuery();
                await factory.Trigger.RequestBackupAsync("mood log import");
            }

            command.ExecuteNonQuery();
        }

        var last = await factory.Trigger.RequestBackupAndWaitAsync("last change").WaitAsync(Timeout);
        double burstSeconds = stopwatch.Elapsed.TotalSeconds;

        var snapshots = repository.Snapshots().Where(s => s.Trigger == Triggers.CriticalOperation).ToList();
        int bound = 1 + (int)Math.Ceiling(burstSeconds / window.TotalSeconds);
        Assert.InRange(snapshots.Count, 1, bound);
        Assert.Equal(snapshots[^1].Id, Assert.Single(last).Id);
        Assert.Equal(1000, last[0].Sqlite!.Tables["mood_logs"]);
        Assert.Contains("last change", last[0].Reason, StringComparison.Ordinal);
        Assert.Equal(999, snapshots.Sum(s => CountRequests(s.Reason!, "mood log import")));
    }

    [Fact(Timeout = 60_000)]
    public async Task Health_UnhealthyWhileBackupsFail_HealthyAfterRecovery()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        using var factory = new TherapyApiFactory(folder, repository);
        using var client = factory.CreateClient();
        await factory.Trigger.FlushAsync().WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        await client.PostAsJsonAsync("/patients", new { name = "Synthetic Person D" });
        repository.BreakData();
        await Assert.ThrowsAnyAsync<Exception>(
            () => factory.Trigger.RequestBackupAndWaitAsync("while the repository is broken").WaitAsync(Timeout));
        var broken = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        Assert.Equal("Unhealthy", await broken.Content.ReadAsStringAsync());

        repository.RepairData();
        await factory.Trigger.RequestBackupAndWaitAsync("after recovery").WaitAsync(Timeout);
        var healed = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
        Assert.Equal("Healthy", await healed.Content.ReadAsStringAsync());
    }

    private static int CountRequests(string reason, string text)
    {
        var match = Regex.Match(reason, Regex.Escape(text) + @"(?: \((\d+) requests\))?");
        return !match.Success ? 0 : match.Groups[1].Success ? int.Parse(match.Groups[1].Value) : 1;
    }

    private sealed record IdResponse(long Id);
}
