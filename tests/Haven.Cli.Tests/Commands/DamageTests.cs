using System.Text.Json;
using Haven.Cli.Tests.Support;

namespace Haven.Cli.Tests.Commands;

public class DamageTests
{
    [Fact]
    public void A_flipped_byte_in_any_repository_file_makes_check_read_data_and_restore_exit_3()
    {
        using var folder = new CliFolder(0.3).Init();
        folder.Backup();
        var random = new Random(3);
        foreach (string file in Directory
            .EnumerateFiles(folder.Repository, "*", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length > 0)
            .ToList())
        {
            byte[] original = File.ReadAllBytes(file);
            byte[] damaged = (byte[])original.Clone();
            int offset = random.Next(damaged.Length);
            damaged[offset] ^= 0x10;
            File.WriteAllBytes(file, damaged);

            var check = folder.Haven.Run("check", "--read-data");
            Assert.True(check.ExitCode == 3, $"{file} at {offset}: {check}");
            var restore = folder.Haven.Run("restore", "latest", "--to", folder.File("restored.db"));
            Assert.True(restore.ExitCode == 3, $"{file} at {offset}: {restore}");
            Assert.False(File.Exists(folder.File("restored.db")));
            File.WriteAllBytes(file, original);
        }

        Assert.Equal(0, folder.Haven.Run("check", "--read-data").ExitCode);
    }

    [Fact]
    public void Killing_backups_at_random_moments_leaves_a_repository_where_check_passes_and_every_snapshot_restores()
    {
        using var folder = new CliFolder(12).Init();
        folder.Backup();
        var random = new Random(17);
        for (int i = 0; i < 10; i++)
        {
            Haven.Synthetic.ClinicalDatabaseGenerator.ApplyRandomUpdates(folder.Database, 0.01, seed: i);
            using var backup = folder.Haven.Start("backup", "sqlite", folder.Database);
            Thread.Sleep(random.Next(150, 1500));
            backup.Kill(entireProcessTree: true);
            backup.WaitForExit();
        }

        var check = folder.Haven.Run("check", "--read-data");
        Assert.True(check.ExitCode == 0, check.ToString());
        using var list = JsonDocument.Parse(folder.Haven.Run("snapshots", "--json").Out);
        Assert.NotEmpty(list.RootElement.EnumerateArray());
        foreach (var snapshot in list.RootElement.EnumerateArray())
        {
            string id = snapshot.GetProperty("id").GetString()!;
            string target = folder.File($"restored-{id}.db");
            var restore = folder.Haven.Run("restore", id, "--to", target);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            Assert.Equal(snapshot.GetProperty("sha256").GetString(), CliFolder.Sha256(target));
        }
    }
}
