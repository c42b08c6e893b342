using System.Text.Json;
using Haven.Cli.Tests.Support;

namespace Haven.Cli.Tests.Commands;

/// <summary>audit, audit verify, drill and report through the real executable.</summary>
public class EvidenceTests
{
    [Fact]
    public void Audit_lists_every_operation_and_verify_names_an_edited_event()
    {
        using var folder = new CliFolder(0.3).Init();
        folder.Backup("--reason", "before migration 12");
        var list = folder.Haven.Run("audit", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var events = JsonDocument.Parse(list.Out))
        {
            Assert.Equal(
                ["repository-created", "backup-started", "backup-completed"],
                events.RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        }

        Assert.Contains(
            "haven: audit #4 backup-started",
            folder.Haven.Run("backup", "sqlite", folder.Database).Error,
            StringComparison.Ordinal);
        Assert.Equal(0, folder.Haven.Run("audit", "verify").ExitCode);

        string second = Path.Combine(folder.Repository, "audit", "0000000000000002");
        byte[] bytes = File.ReadAllBytes(second);
        bytes[^5] ^= 0x08;
        File.WriteAllBytes(second, bytes);
        var verify = folder.Haven.Run("audit", "verify");
        Assert.True(verify.ExitCode == 3, verify.ToString());
        Assert.Contains("Audit event 2", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Drill_and_report_exit_3_until_the_evidence_supports_every_claim()
    {
        using var folder = new CliFolder(0.5).Init();
        folder.Backup();
        File.WriteAllText(folder.File("haven.json"), """
            {
              // beside the repository folder
              "drill": { "smokeQueries": [
                { "name": "every mood log has a user", "sql": "SELECT count(*) FROM mood_logs WHERE user_id NOT IN (SELECT id FROM users)", "expect": "0" },
                { "name": "nobody is called Zed", "source": "other.db", "sql": "SELECT 1", "expect": "2" }
              ] },
              "targets": { "rpoHours": 24, "drillMaxAgeDays": 7 }
            }
            """);

        var noDrill = folder.Haven.Run("report", "--format", "json", "--out", folder.File("report.json"));
        Assert.True(noDrill.ExitCode == 3, noDrill.ToString());
        Assert.Contains("Unsupported claim: Recovery is tested", noDrill.Error, StringComparison.Ordinal);

        var drill = folder.Haven.Run("drill");
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("ok: smoke query 'every mood log has a user'", drill.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Zed", drill.Out, StringComparison.Ordinal);
        Assert.Equal(0, folder.Haven.Run("check", "--read-data").ExitCode);

        var report = folder.Haven.Run("report", "--format", "json", "--out", folder.File("report.json"));
        Assert.True(report.ExitCode == 0, report.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(folder.File("report.json")));
        Assert.Equal(1, json.RootElement.GetProperty("sources")[0].GetProperty("backups").GetInt32());

        File.WriteAllText(folder.File("haven.json"), """
            { "drill": { "smokeQueries": [ { "name": "no patients", "sql": "SELECT count(*) FROM users", "expect": "0" } ] } }
            """);
        var failing = folder.Haven.Run("drill");
        Assert.True(failing.ExitCode == 3, failing.ToString());
        Assert.Contains("FAILED: smoke query 'no patients'", failing.Out, StringComparison.Ordinal);

        File.WriteAllText(folder.File("haven.json"), "{ \"drill\": { \"smokeQuerys\": [] } }");
        Assert.Equal(2, folder.Haven.Run("drill").ExitCode);
    }
}
