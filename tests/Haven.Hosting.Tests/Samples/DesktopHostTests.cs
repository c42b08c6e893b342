using Haven.Core.Backup;
using Haven.Hosting.Tests.Support;
using Haven.Samples.Desktop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Haven.Hosting.Tests.Samples;

/// <summary>The console ("desktop mode") sample: the same launch behaviour as the web app.</summary>
public sealed class DesktopHostTests
{
    [Fact(Timeout = 60_000)]
    public async Task Launch_StartReturnsWhileBackupWaits_ThenLaunchSnapshotAppears()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        var journal = new JournalFile(folder.File("journal/journal.db"));
        journal.EnsureCreated();
        journal.Add("synthetic entry");
        using var host = DesktopHost.Build(
        [
            $"--Haven:Repository={repository.Root}", $"--Haven:KeyFile={repository.KeyFile}",
            "--Haven:Sources:0:Kind=sqlite", $"--Haven:Sources:0:Path={journal.Path}",
            "--Haven:Schedule:Cron=", "--Haven:Shutdown:FinalSnapshot=false",
            "--Haven:BusyRetryDelay=00:00:00.050", "--Haven:BusyRetryAttempts=600",
        ]);

        using (var holder = repository.Open())
        using (holder.Lock("test holds the lock"))
        {
            // Start returns although the launch snapshot cannot finish while the lock is held.
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Empty(holder.Snapshots());
        }

        await host.Services.GetRequiredService<IBackupTrigger>().FlushAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await host.StopAsync();
        var launch = Assert.Single(repository.Snapshots());
        Assert.Equal(Triggers.Launch, launch.Trigger);
        Assert.Equal(1, launch.Sqlite!.Tables["entries"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Stop_WithFinalSnapshot_SnapshotsTheLastChange()
    {
        using var folder = new TempFolder();
        var repository = new TestRepository(folder);
        var journal = new JournalFile(folder.File("journal/journal.db"));
        journal.EnsureCreated();
        using var host = DesktopHost.Build(
        [
            $"--Haven:Repository={repository.Root}", $"--Haven:KeyFile={repository.KeyFile}",
            "--Haven:Sources:0:Kind=sqlite", $"--Haven:Sources:0:Path={journal.Path}",
            "--Haven:Schedule:Cron=", "--Haven:Launch:Enabled=false", "--Haven:Shutdown:FinalSnapshot=true",
        ]);
        await host.StartAsync();

        journal.Add("written just before quitting");
        await host.StopAsync();

        var final = Assert.Single(repository.Snapshots());
        Assert.Equal("final snapshot: app stopping", final.Reason);
        Assert.Equal(1, final.Sqlite!.Tables["entries"]);
    }
}
