namespace Haven.Cli.Tests.Support;

/// <summary>A repository on a 1 MiB tmpfs (root only), to see what a backup does when the disk fills.</summary>
public static class FullDisk
{
    /// <summary>
    /// Runs <c>haven backup ARGS</c> into a repository on a full disk and checks that it exits 1 saying
    /// so, leaving no snapshot, no temporary file, no lock, and a repository that passes check.
    /// </summary>
    public static HavenRunner.Result AssertBackupFailsCleanly(CliFolder folder, params string[] backup)
    {
        string mount = folder.File("small");
        Directory.CreateDirectory(mount);
        Assert.Equal(0, Shell.Run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount));
        try
        {
            var haven = new HavenRunner(Path.Combine(mount, "repo"), folder.KeyFile);
            Assert.Equal(0, haven.Run("init").ExitCode);
            var result = haven.Run(["backup", .. backup]);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("disk is full", result.Error, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount, "repo", "snapshots")));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(mount, "repo", "tmp")));
            Assert.False(File.Exists(Path.Combine(mount, "repo", "lock")));
            Assert.Equal(0, haven.Run("check").ExitCode);
            return result;
        }
        finally
        {
            Shell.Run("umount", mount);
        }
    }
}
