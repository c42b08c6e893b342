using System.Diagnostics;
using Haven.Core.Backup;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Restore;

/// <summary>What "latest" means and what the restored file looks like to the app that opens it.</summary>
public class RestoreTargetTests
{
    [Fact]
    public void Latest_means_the_latest_of_the_target_database_and_never_a_pre_restore_snapshot()
    {
        using var folder = new TempFolder();
        string app = Fixtures.ClinicalDatabase(folder, 0.5, name: "app.db");
        string other = Fixtures.ClinicalDatabase(folder, 0.5, seed: 2, name: "other.db");
        using var repository = Fixtures.NewRepository(folder);
        var appSnapshot = SqliteBackup.Run(repository, app);
        var otherSnapshot = SqliteBackup.Run(repository, other);

        Assert.Equal(appSnapshot.Id, repository.ResolveSnapshot("latest", target: app).Id);
        Assert.Equal(otherSnapshot.Id, repository.ResolveSnapshot("latest", source: "other.db").Id);
        var ambiguous = Assert.Throws<UsageException>(
            () => repository.ResolveSnapshot("latest", target: folder.File("new.db")));
        Assert.Contains("2 sources", ambiguous.Message, StringComparison.Ordinal);

        Fixtures.Execute(app, "CREATE TABLE mistake(x); INSERT INTO mistake VALUES (1);");
        var first = SqliteRestore.Run(repository, repository.ResolveSnapshot("latest", target: app), app);
        Assert.NotNull(first.PreRestore);
        var second = repository.ResolveSnapshot("latest", target: app);
        Assert.Equal(appSnapshot.Id, second.Id);
    }

    [Fact]
    public void Two_sources_with_the_same_file_name_are_never_confused()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("clinic1"));
        Directory.CreateDirectory(folder.File("clinic2"));
        string one = Fixtures.ClinicalDatabase(folder, 0.3, name: "clinic1/therapy.db");
        string two = Fixtures.ClinicalDatabase(folder, 0.3, seed: 9, name: "clinic2/therapy.db");
        using var repository = Fixtures.NewRepository(folder);
        var oneSnapshot = SqliteBackup.Run(repository, one);
        SqliteBackup.Run(repository, two);

        Assert.Throws<UsageException>(() => repository.ResolveSnapshot("latest", source: "therapy.db"));
        Assert.Equal(oneSnapshot.Id, repository.ResolveSnapshot("latest", source: one).Id);
        Assert.Equal(oneSnapshot.Id, repository.ResolveSnapshot("latest", target: one).Id);
    }

    [Fact]
    public void A_restored_database_keeps_the_mode_and_owner_of_the_file_it_replaces()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        File.SetUnixFileMode(database, mode);
        bool root = Environment.UserName == "root";
        if (root)
        {
            Assert.Equal(0, Run("chown", "65534:65534", database));
        }

        string owner = Output("stat", "-c", "%u:%g", database);
        SqliteRestore.Run(repository, snapshot, database);

        Assert.Equal(mode, File.GetUnixFileMode(database));
        Assert.Equal(owner, Output("stat", "-c", "%u:%g", database));
        if (root)
        {
            Assert.Equal("65534:65534", owner);
        }
    }

    [Fact]
    public void Restoring_to_a_symbolic_link_replaces_the_file_it_points_to()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, database);
        Fixtures.Execute(database, "CREATE TABLE later(x);");
        File.CreateSymbolicLink(folder.File("link.db"), database);

        SqliteRestore.Run(repository, snapshot, folder.File("link.db"));

        Assert.NotNull(new FileInfo(folder.File("link.db")).LinkTarget);
        Assert.Equal(snapshot.Content.Sha256, Fixtures.Sha256(database));
    }

    [Fact]
    public void A_damaged_database_replaced_by_a_restore_is_kept_byte_for_byte_and_can_be_restored()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.5, wal: false);
        using var repository = Fixtures.NewRepository(folder);
        var good = SqliteBackup.Run(repository, database);
        File.WriteAllText(database, "this file was overwritten by a broken deploy script");
        string brokenHash = Fixtures.Sha256(database);

        var result = SqliteRestore.Run(repository, good, database);
        Assert.Equal("file", result.PreRestore!.Source.Kind);
        Assert.Contains("byte for byte", result.PreRestore.Reason, StringComparison.Ordinal);

        SqliteRestore.Run(repository, result.PreRestore, folder.File("broken-copy"));
        Assert.Equal(brokenHash, Fixtures.Sha256(folder.File("broken-copy")));
    }

    [Fact]
    public void An_empty_database_file_backs_up_and_restores()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("empty.db"), []);
        using var repository = Fixtures.NewRepository(folder);
        var snapshot = SqliteBackup.Run(repository, folder.File("empty.db"));
        SqliteRestore.Run(repository, snapshot, folder.File("restored.db"));
        Assert.Equal(0, new FileInfo(folder.File("restored.db")).Length);
    }

    private static int Run(string file, params string[] args)
    {
        using var process = Start(file, args, capture: false);
        process.WaitForExit();
        return process.ExitCode;
    }

    private static string Output(string file, params string[] args)
    {
        using var process = Start(file, args, capture: true);
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    private static Process Start(string file, string[] args, bool capture)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = capture };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }
}
