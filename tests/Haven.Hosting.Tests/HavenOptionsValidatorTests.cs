using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Haven.Hosting.Tests;

public sealed class HavenOptionsValidatorTests
{
    [Theory]
    [InlineData("files", "Path", "/srv/app/uploads")]
    [InlineData("postgres", "Connection", "Host=db;Username=app;Password=hunter2")]
    public async Task HostStart_UnsupportedKind_RefusedWithClearMessage_NoSecretEchoed(
        string kind,
        string key,
        string value)
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Haven:Repository"] = "/tmp/haven-never-created",
            ["Haven:PassphraseFile"] = typeof(HavenOptionsValidatorTests).Assembly.Location,
            ["Haven:Sources:0:Kind"] = kind,
            [$"Haven:Sources:0:{key}"] = value,
        });

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"kind '{kind}' is not supported by Haven.Hosting yet", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EmptyOptions_NamesEveryMissingSetting()
    {
        var options = new HavenOptions { PassphraseVariable = "HAVEN_TEST_UNSET_" + Guid.NewGuid().ToString("N") };

        var result = new HavenOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Haven:Repository", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("No secret", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Haven:Sources is empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BadCronAndZoneAndKind_Reported()
    {
        var options = new HavenOptions
        {
            Repository = "/tmp/r",
            SecretProvider = _ => throw new InvalidOperationException(),
            Schedule = new ScheduleOptions { Cron = "every hour" },
            Drill = new DrillOptions { Cron = "0 3 * * 0", TimeZone = "Nowhere/Atlantis" },
        };
        options.Sources.Add(new HavenSourceOptions { Kind = "mysql", Path = "/x" });
        options.Sources.Add(new HavenSourceOptions { Kind = "SQLite" });

        var failures = new HavenOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.StartsWith("Haven:Schedule:Cron 'every hour'", StringComparison.Ordinal));
        Assert.Contains(
            failures,
            f => f.StartsWith("Haven:Drill:TimeZone 'Nowhere/Atlantis'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Haven:Sources:0:Kind is 'mysql'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Haven:Sources:1:Path is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Bind_EnvironmentStyleKeys_FillOptions()
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Haven:Repository"] = "/data/backups",
            ["Haven:KeyFile"] = typeof(HavenOptionsValidatorTests).Assembly.Location,
            ["Haven:Sources:0:Kind"] = "sqlite",
            ["Haven:Sources:0:Path"] = "/data/app.db",
            ["Haven:CriticalOperations:CoalesceWindow"] = "00:00:30",
        });

        var options = host.Services.GetRequiredService<IOptions<HavenOptions>>().Value;

        Assert.Equal("/data/backups", options.Repository);
        Assert.Equal("/data/app.db", Assert.Single(options.Sources).Path);
        Assert.Equal(TimeSpan.FromSeconds(30), options.CriticalOperations.CoalesceWindow);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddHaven();
        return builder.Build();
    }
}
