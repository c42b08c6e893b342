using System.Text.Json;
using Haven.Cli.Tests.Support;

namespace Haven.Cli.Tests.Commands;

public class RoundTripTests
{
    [Fact]
    public void Init_backup_list_and_restore_with_a_passphrase_full_of_shell_characters()
    {
        using var folder = new CliFolder();
        string composed = "it's \"quoted\" $PATH `ls` caf\u00e9 with spaces";
        string decomposed = "it's \"quoted\" $PATH `ls` cafe\u0301 with spaces";
        var haven = new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE", composed);
        Assert.Equal(0, haven.Run("init").ExitCode);

        var backup = new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE", decomposed)
            .Run("backup", "sqlite", folder.Database, "--reason", "nightly check", "--tag", "ward-a", "--tag", "test");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        string id = backup.LastLine;
        Assert.Matches("^[0-9a-f]{32}$", id);

        File.WriteAllText(folder.File("pass.txt"), composed + "\n");
        var fromFile = new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE_FILE", folder.File("pass.txt"));
        var list = fromFile.Run("snapshots", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Out);
        var snapshot = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(id, snapshot.GetProperty("id").GetString());
        Assert.Equal("clinic.db", snapshot.GetProperty("source").GetString());
        Assert.Equal("manual", snapshot.GetProperty("trigger").GetString());
        Assert.Equal("nightly check", snapshot.GetProperty("reason").GetString());
        Assert.Equal(["ward-a", "test"], snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(snapshot.GetProperty("size").GetInt64() > 0);
        Assert.True(snapshot.GetProperty("addedBytes").GetInt64() > 0);
        Assert.EndsWith("Z", snapshot.GetProperty("time").GetString(), StringComparison.Ordinal);

        var restore = fromFile.Run("restore", id[..8], "--to", folder.File("restored.db"));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(snapshot.GetProperty("sha256").GetString(), CliFolder.Sha256(folder.File("restored.db")));
    }

    [Fact]
    public void Backup_json_prints_an_object_with_the_id_and_key_slots_can_be_added_listed_and_removed()
    {
        using var folder = new CliFolder(0.5).Init();
        var backup = folder.Haven.Run("backup", "sqlite", folder.Database, "--json", "--trigger", "launch");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Out))
        {
            Assert.Matches("^[0-9a-f]{32}$", json.RootElement.GetProperty("id").GetString());
            Assert.Equal("launch", json.RootElement.GetProperty("trigger").GetString());
        }

        var add = folder.Haven.With("HAVEN_NEW_PASSPHRASE", "second one").Run("key", "add");
        Assert.True(add.ExitCode == 0, add.ToString());
        string slot = add.LastLine;
        var byPassphrase = new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE", "second one");
        var list = byPassphrase.Run("key", "list", "--json");
        Assert.Equal(2, JsonDocument.Parse(list.Out).RootElement.GetArrayLength());

        Assert.Equal(0, folder.Haven.Run("key", "remove", slot).ExitCode);
        Assert.Equal(4, byPassphrase.Run("snapshots").ExitCode);
    }

    [Fact]
    public void Demo_proves_every_claim_it_prints()
    {
        var result = new HavenRunner("/nonexistent").Run("demo", "--size-mib", "16");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("PROVED: the restored file's SHA-256 equals", result.Out, StringComparison.Ordinal);
        Assert.Contains("committed prefix", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", result.Out, StringComparison.Ordinal);
    }
}
