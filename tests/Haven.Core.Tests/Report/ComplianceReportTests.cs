using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Haven.Core.Audit;
using Haven.Core.Backup;
using Haven.Core.Check;
using Haven.Core.Configuration;
using Haven.Core.Crypto;
using Haven.Core.Drill;
using Haven.Core.Report;
using Haven.Core.Repository;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Report;

public class ComplianceReportTests
{
    /// <summary>
    /// Backups at 0 h, 2 h and 10 h, a failed backup at 11 h, a drill at 12 h, the report at 13 h:
    /// three backups, one failure, largest gap 8 hours, last drill at 12 h.
    /// </summary>
    private static (ComplianceReport Report, LocalRepository Repository, string Database) Scenario(
        TempFolder folder,
        ManualClock clock,
        TargetSettings targets,
        bool fullCheck)
    {
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        LocalRepository repository;
        using (var secret = Secret.CreateKeyFile(folder.File("k.key")))
        {
            repository = LocalRepository.Init(folder.File("repo"), secret, clock);
        }

        SqliteBackup.Run(repository, database);
        clock.Advance(TimeSpan.FromHours(2));
        SqliteBackup.Run(repository, database);
        clock.Advance(TimeSpan.FromHours(8));
        var last = SqliteBackup.Run(repository, database);
        clock.Advance(TimeSpan.FromHours(1));
        File.Move(database, database + ".moved");
        Assert.ThrowsAny<HavenException>(() => SqliteBackup.Run(repository, database));
        File.Move(database + ".moved", database);
        clock.Advance(TimeSpan.FromHours(1));
        DrillRunner.Run(repository, last, new DrillSettings());
        if (fullCheck)
        {
            RepositoryChecker.Run(repository, readData: true);
        }

        clock.Advance(TimeSpan.FromHours(1));
        return (
            ComplianceReportBuilder.Build(repository, new HavenSettings { Targets = targets }, days: 7),
            repository,
            database);
    }

    [Fact]
    public void The_report_figures_equal_what_happened()
    {
        using var folder = new TempFolder();
        var start = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        var clock = new ManualClock(start);
        var (report, repository, database) = Scenario(folder, clock, new TargetSettings(), fullCheck: true);
        using var _ = repository;

        using var json = JsonDocument.Parse(ReportRenderer.ToJson(report));
        var source = Assert.Single(json.RootElement.GetProperty("sources").EnumerateArray());
        Assert.Equal(Path.GetFullPath(database), source.GetProperty("source").GetString());
        Assert.Equal(3, source.GetProperty("backups").GetInt32());
        Assert.Equal(8.0, source.GetProperty("largestGapHours").GetDouble(), 3);
        Assert.Equal(
            start.AddHours(12).UtcDateTime,
            source.GetProperty("lastPassedDrill").GetDateTime().ToUniversalTime());
        Assert.Equal(3, source.GetProperty("backupsPerDay").GetProperty("2026-11-30").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("failedBackups").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("audit").GetProperty("intact").GetBoolean());
        Assert.True(report.AllSupported, string.Join("; ", report.Claims.Select(c => $"{c.Status}: {c.Finding}")));
    }

    [Fact]
    public void A_backup_killed_before_its_outcome_is_reported_as_interrupted_once_nobody_holds_the_lock()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database);
        // What a backup killed with -9 leaves in the log: its start, and nothing after it.
        var killed = new Dictionary<string, string> { ["source"] = database, ["kind"] = "sqlite" };
        var first = repository.Audit.Append(AuditEventTypes.BackupStarted, killed);
        SqliteBackup.Run(repository, database);
        var second = repository.Audit.Append(AuditEventTypes.BackupStarted, killed);

        ComplianceReport Report() => ComplianceReportBuilder.Build(repository, new HavenSettings(), days: 7);

        using (repository.Lock("backup clinic.db"))
        {
            // The last one may still be running while the lock is held by a live process.
            var interrupted = Assert.Single(Report().FailedBackups);
            Assert.Equal(first.Seq, interrupted.Seq);
            Assert.Contains("interrupted", interrupted.Summary, StringComparison.Ordinal);
        }

        Assert.Equal([first.Seq, second.Seq], Report().FailedBackups.Select(f => f.Seq));
    }

    [Fact]
    public void Claims_the_evidence_does_not_support_are_reported_as_unsupported()
    {
        using var folder = new TempFolder();
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        var (report, repository, _) = Scenario(folder, clock, new TargetSettings { RpoHours = 6 }, fullCheck: false);
        using var _repository = repository;

        Assert.False(report.AllSupported);
        var backupsClaim = report.Claims.Single(
            c => c.Claim.StartsWith("Every protected database is backed up", StringComparison.Ordinal));
        Assert.Equal(ClaimStatus.Unsupported, backupsClaim.Status);
        Assert.Contains("8 hours", backupsClaim.Finding, StringComparison.Ordinal);
        var integrityClaim = report.Claims.Single(
            c => c.Claim.StartsWith("Backups are intact", StringComparison.Ordinal));
        Assert.Equal(ClaimStatus.Unsupported, integrityClaim.Status);

        clock.Advance(TimeSpan.FromDays(8));
        var later = ComplianceReportBuilder.Build(repository, new HavenSettings(), days: 7);
        Assert.Equal(
            ClaimStatus.Unsupported,
            later.Claims.Single(c => c.Claim.StartsWith("Recovery is tested", StringComparison.Ordinal)).Status);
    }

    [Fact]
    public void The_html_report_renders_in_headless_chromium_without_console_errors_and_shows_the_json_figures()
    {
        using var folder = new TempFolder();
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
        var (report, repository, database) = Scenario(folder, clock, new TargetSettings(), fullCheck: true);
        using var _ = repository;
        string html = folder.File("report.html");
        File.WriteAllText(html, ReportRenderer.ToHtml(report));
        Assert.DoesNotContain("http://", File.ReadAllText(html), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", File.ReadAllText(html), StringComparison.Ordinal);

        var (dom, log) = Chromium(html, folder.File("profile"));

        Assert.DoesNotMatch(new Regex(@"CONSOLE.*(error|Uncaught)", RegexOptions.IgnoreCase), log);
        var figures = Regex
            .Matches(dom, "data-figure=\"([^\"]+)\">([^<]*)<")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        string key = Path.GetFullPath(database);
        var source = report.Sources.Single();
        Assert.Equal(
            source.Backups.ToString(System.Globalization.CultureInfo.InvariantCulture),
            figures[$"backups:{key}"]);
        Assert.Equal(ReportRenderer.Number(source.LargestGapHours), figures[$"gap:{key}"]);
        Assert.Equal(ReportRenderer.Number(source.LastDrillRtoSeconds), figures[$"rto:{key}"]);
        Assert.Equal(
            report.FailedBackups.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            figures["failed-backups"]);
        Assert.Equal(
            report.Audit.Events.ToString(System.Globalization.CultureInfo.InvariantCulture),
            figures["audit-events"]);
        Assert.Equal("supported", figures["claim-0"]);
    }

    /// <summary>
    /// Loads a file in Debian's chromium, headless, and returns the rendered DOM and the browser's log.
    /// </summary>
    private static (string Dom, string Log) Chromium(string file, string profile)
    {
        string browser = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium"
            : throw new InvalidOperationException(
                "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it.");
        var info = new ProcessStartInfo(browser)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        foreach (string arg in new[]
        {
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            $"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom", "file://" + file,
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var dom = process.StandardOutput.ReadToEndAsync();
        var log = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "chromium did not finish");
        Assert.Equal(0, process.ExitCode);
        return (dom.Result, log.Result);
    }
}
