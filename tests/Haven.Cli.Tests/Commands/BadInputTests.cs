using Haven.Cli.Tests.Support;

namespace Haven.Cli.Tests.Commands;

/// <summary>Each bad input: one clear sentence, its exit code, no stack trace, nothing changed.</summary>
public class BadInputTests
{
    private static void AssertClean(HavenRunner.Result result, int exitCode, string fragment)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(result.Error.Split('\n'), line => line.StartsWith("Error: ", StringComparison.Ordinal));
        Assert.Contains(fragment, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_passphrase_exits_4()
    {
        using var folder = new CliFolder(0.2);
        Assert.Equal(0, new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE", "right").Run("init").ExitCode);
        var result = new HavenRunner(folder.Repository).With("HAVEN_PASSPHRASE", "wrong").Run("snapshots");
        AssertClean(result, 4, "does not open any key slot");
        Assert.DoesNotContain(
            "wrong",
            result.Error.Replace("does not open", "", StringComparison.Ordinal),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_key_file_and_missing_secret_exit_2()
    {
        using var folder = new CliFolder(0.2).Init();
        AssertClean(new HavenRunner(folder.Repository, folder.File("gone.key")).Run("snapshots"), 2, "gone.key");
        AssertClean(new HavenRunner(folder.Repository).Run("snapshots"), 2, "No passphrase or key file");
    }

    [Fact]
    public void Uninitialised_repository_exits_2_and_newer_format_exits_1()
    {
        using var folder = new CliFolder(0.2);
        File.WriteAllBytes(folder.KeyFile, new byte[64]);
        AssertClean(folder.Haven.Run("snapshots"), 2, "no Haven repository");

        File.Delete(folder.KeyFile);
        folder.Init();
        string config = Path.Combine(folder.Repository, "config");
        string body = "{\"format\":9,\"id\":\"x\"}";
        string checksum = Convert.ToHexStringLower(
            System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(body)));
        File.WriteAllText(config, $"haven-repository sha256:{checksum}\n{body}");
        AssertClean(folder.Haven.Run("snapshots"), 1, "format 9");
    }

    [Fact]
    public void Not_a_database_exits_1_and_a_corrupt_database_exits_3_without_a_snapshot()
    {
        using var folder = new CliFolder(1, wal: false).Init();
        File.WriteAllText(folder.File("notes.txt"), new string('x', 5000));
        AssertClean(folder.Haven.Run("backup", "sqlite", folder.File("notes.txt")), 1, "not a SQLite database");

        using (var stream = new FileStream(folder.Database, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2 / 4096 * 4096;
            stream.Write(Enumerable.Range(0, 32768).Select(i => (byte)(i * 7)).ToArray());
        }

        AssertClean(folder.Haven.Run("backup", "sqlite", folder.Database), 3, "corrupt");
        Assert.Contains("0 snapshots", folder.Haven.Run("snapshots").Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_and_ambiguous_snapshot_ids_exit_2()
    {
        using var folder = new CliFolder(0.2).Init();
        string id = folder.Backup();
        AssertClean(folder.Haven.Run("restore", "deadbeefdeadbeef", "--to", folder.File("x.db")), 2, "No snapshot");
        string snapshots = Path.Combine(folder.Repository, "snapshots");
        File.Copy(Path.Combine(snapshots, id), Path.Combine(snapshots, id[..9] + new string('0', 23)));
        AssertClean(folder.Haven.Run("restore", id[..9], "--to", folder.File("x.db")), 2, "ambiguous");
        Assert.False(File.Exists(folder.File("x.db")));
        AssertClean(folder.Haven.Run("restore"), 2, "");
    }

    [Fact]
    public void A_locked_repository_exits_5_naming_the_holder()
    {
        using var folder = new CliFolder(0.2).Init();
        File.WriteAllText(
            Path.Combine(folder.Repository, "lock"),
            "{\"host\":\"ward-server\",\"pid\":4242,\"since\":\"2026-11-30T03:00:00Z\",\"operation\":\"backup " +
            "clinic.db\"}");
        AssertClean(
            folder.Haven.Run("backup", "sqlite", folder.Database),
            5,
            "locked by ward-server pid 4242 since 2026-11-30T03:00:00Z");
    }

    [Fact]
    public void Restore_over_a_database_open_in_another_process_exits_5_and_leaves_it_untouched()
    {
        using var folder = new CliFolder(0.5).Init();
        folder.Backup();
        var holder = new System.Diagnostics.Process
        {
            StartInfo = new System.Diagnostics.ProcessStartInfo("dotnet")
            {
                ArgumentList =
                {
                    Path.Combine(AppContext.BaseDirectory, "Haven.WriterProcess.dll"),
                    "hold",
                    folder.Database,
                    "120"
                },
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            },
        };
        holder.Start();
        try
        {
            Assert.Equal("ready", holder.StandardOutput.ReadLine());
            string before = CliFolder.Sha256(folder.Database);
            AssertClean(folder.Haven.Run("restore", "latest", "--to", folder.Database), 5, "is open in process");
            Assert.Equal(before, CliFolder.Sha256(folder.Database));
        }
        finally
        {
            holder.StandardInput.Close();
            holder.WaitForExit(10_000);
        }
    }

    [RootFact]
    public void A_full_disk_during_backup_exits_1_leaving_no_snapshot_and_no_temporary_files()
    {
        using var folder = new CliFolder(8);
        var result = FullDisk.AssertBackupFailsCleanly(folder, "sqlite", folder.Database);
        AssertClean(result, 1, "disk is full");
    }
}
