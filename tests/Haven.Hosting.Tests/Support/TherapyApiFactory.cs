using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Haven.Hosting.Tests.Support;

/// <summary>
/// The sample web app booted in-process on a real SQLite file and a real repository in a temp
/// folder; the key file is the secret, and settings can be added per test.
/// </summary>
public sealed class TherapyApiFactory(
    TempFolder folder,
    TestRepository repository,
    IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public string DatabasePath { get; } = folder.File("app/therapy.db");

    public IBackupTrigger Trigger => (IBackupTrigger)Services.GetService(typeof(IBackupTrigger))!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("App:DatabasePath", DatabasePath);
        builder.UseSetting("Haven:Repository", repository.Root);
        builder.UseSetting("Haven:CreateRepository", "false");
        builder.UseSetting("Haven:KeyFile", repository.KeyFile);
        builder.UseSetting("Haven:Sources:0:Kind", "sqlite");
        builder.UseSetting("Haven:Sources:0:Path", DatabasePath);
        builder.UseSetting("Haven:Schedule:Cron", "");
        builder.UseSetting("Haven:CriticalOperations:CoalesceWindow", "00:00:00");
        builder.UseSetting("Haven:BusyRetryDelay", "00:00:00.050");
        builder.UseSetting("Haven:BusyRetryAttempts", "600");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }
}
