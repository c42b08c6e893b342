using Haven.Core.Backup;
using Haven.Core.Check;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Check;

public class RepositoryCheckerTests
{
    [Fact]
    public void A_healthy_repository_passes_structure_and_read_data_checks()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 2);
        using var repository = Fixtures.NewRepository(folder);
        SqliteBackup.Run(repository, database);
        Haven.Synthetic.ClinicalDatabaseGenerator.ApplyAppends(database, 0.05, seed: 3);
        SqliteBackup.Run(repository, database);

        var structure = RepositoryChecker.Run(repository, readData: false);
        var full = RepositoryChecker.Run(repository, readData: true);
        Assert.True(structure.Healthy, string.Join("; ", structure.Problems));
        Assert.True(full.Healthy, string.Join("; ", full.Problems));
        Assert.Equal(2, full.Snapshots);
        Assert.True(full.BytesVerified > 0);
    }

    [Fact]
    public void Flipping_any_byte_of_any_repository_file_is_detected_by_check_and_refused_by_restore()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.5);
        using (var repository = Fixtures.NewRepository(folder))
        {
            SqliteBackup.Run(repository, database);
        }

        // Every file with a byte to flip (the audit log's append lock is an empty file).
        var files = Directory
            .EnumerateFiles(folder.File("repo"), "*", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length > 0)
            .ToList();
        Assert.Contains(files, f => f.Contains("/data/", StringComparison.Ordinal));
        var random = new Random(11);
        int cases = 0;
        foreach (string file in files)
        {
            byte[] original = File.ReadAllBytes(file);
            foreach (int offset in new[] { 0, original.Length / 2, original.Length - 1, random.Next(original.Length) }
                .Distinct())
            {
                byte[] damaged = (byte[])original.Clone();
                damaged[offset] ^= (byte)(1 << random.Next(8));
                File.WriteAllBytes(file, damaged);
                string target = folder.File($"restored-{cases}.db");
                AssertDetected(folder, target, $"{file} at {offset}");
                Assert.False(File.Exists(target), $"a restore wrote {target} despite damage in {file} at {offset}");
                File.WriteAllBytes(file, original);
                cases++;
            }
        }

        Assert.True(cases >= 16);
    }

    private static void AssertDetected(TempFolder folder, string target, string what)
    {
        Haven.Core.Repository.LocalRepository repository;
        try
        {
            repository = Fixtures.Reopen(folder);
        }
        catch (IntegrityException)
        {
            return;
        }

        using (repository)
        {
            var report = RepositoryChecker.Run(repository, readData: true);
            Assert.False(report.Healthy, $"check --read-data missed damage in {what}");
            Assert.Throws<IntegrityException>(
                () => SqliteRestore.Run(repository, repository.ResolveSnapshot("latest"), target));
        }
    }
}
