using Haven.Core.Backup;
using Haven.Core.Check;
using Haven.Core.Chunking;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Snapshots;
using Haven.Core.Tests.Support;
using Haven.Synthetic;

namespace Haven.Core.Tests.Chunking;

/// <summary>
/// Page-map leaves stored as deltas of the previous snapshot's leaves: every generation of a
/// database restores byte for byte, whatever mix of full and delta leaves its page map holds.
/// </summary>
public class PageMapDeltaTests
{
    [Fact]
    public void Every_generation_restores_byte_for_byte_through_updates_appends_shrinking_and_rebasing()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string database = Fixtures.ClinicalDatabase(folder, 3, wal: false);
        var expected = new List<(Manifest Snapshot, string Sha256)>();

        void BackUp()
        {
            var snapshot = SqliteBackup.Run(repository, database);
            expected.Add((snapshot, Fixtures.Sha256(database)));
        }

        BackUp();
        // Scattered updates (deltas against the first snapshot's leaves), more of them until most
        // entries of most leaves differ from their base (full leaves again, new bases), appends
        // (the map grows: new leaves have no base), then a VACUUM (the map shrinks and moves).
        foreach (double fraction in new[] { 0.002, 0.01, 0.01, 0.2, 0.5, 0.01 })
        {
            ClinicalDatabaseGenerator.ApplyRandomUpdates(database, fraction, seed: expected.Count);
            BackUp();
        }

        ClinicalDatabaseGenerator.ApplyAppends(database, 0.05, seed: 99);
        BackUp();
        Fixtures.Execute(database, "DELETE FROM chat_history WHERE id % 3 = 0; VACUUM;");
        BackUp();
        ClinicalDatabaseGenerator.ApplyRandomUpdates(database, 0.01, seed: 100);
        BackUp();

        var leaves = expected.Select(e => LeafKinds(repository, e.Snapshot)).ToList();
        Assert.Equal(0, leaves[0].Deltas);
        Assert.True(leaves[2].Deltas > 0, "scattered updates stored no delta leaf");
        Assert.True(leaves[5].Full > leaves[2].Full, "leaves that changed in most entries were not stored whole again");
        Assert.True(leaves[^1].Deltas > 0, "no delta leaf after the database was vacuumed and updated");

        for (int i = 0; i < expected.Count; i++)
        {
            string target = folder.File($"restored-{i}.db");
            SqliteRestore.Run(repository, expected[i].Snapshot, target);
            Assert.Equal(expected[i].Sha256, Fixtures.Sha256(target));
        }

        var report = RepositoryChecker.Run(repository, readData: true);
        Assert.True(report.Healthy, string.Join("; ", report.Problems));
    }

    [Fact]
    public void A_delta_leaf_costs_a_fraction_of_a_full_one_and_an_unchanged_leaf_is_shared()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string database = Fixtures.ClinicalDatabase(folder, 2, wal: false);
        var first = SqliteBackup.Run(repository, database);
        Fixtures.Execute(database, "UPDATE mood_logs SET notes = notes || '.' WHERE id IN (1, 2, 3)");

        var second = SqliteBackup.Run(repository, database);

        Assert.True(LeafKinds(repository, second).Deltas >= 1, "the changed leaf was stored whole");
        // A few changed pages: their leaves as deltas of a few entries, not 4 KiB per leaf; the
        // leaves that did not change are the first snapshot's own.
        var before = TreeChunks(repository, first).Where(t => t.Leaf).Select(t => t.Id).ToHashSet();
        var leaves = TreeChunks(repository, second).Where(t => t.Leaf).ToList();
        Assert.Contains(leaves, l => before.Contains(l.Id));
        Assert.All(
            leaves.Where(l => !before.Contains(l.Id) && l.Base is not null),
            l => Assert.True(l.Length < 1024, $"a delta leaf took {l.Length} bytes"));
    }

    [Fact]
    public void A_delta_whose_base_is_damaged_is_refused_by_restore_and_named_by_check()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string database = Fixtures.ClinicalDatabase(folder, 2, wal: false);
        var first = SqliteBackup.Run(repository, database);
        ClinicalDatabaseGenerator.ApplyRandomUpdates(database, 0.005, seed: 7);
        var second = SqliteBackup.Run(repository, database);
        var baseLeaf = TreeChunks(repository, second).First(t => t.Base is not null).Base!.Value;
        var location = repository.Index.TryGetValue(baseLeaf, out var found) ? found : throw new InvalidOperationException();

        // Flip a byte inside the frame holding the base leaf (a tree frame: no pages in it).
        string pack = repository.PackPath(location.Pack);
        byte[] bytes = File.ReadAllBytes(pack);
        bytes[location.FrameOffset + 40] ^= 0x01;
        File.SetAttributes(pack, FileAttributes.Normal);
        File.WriteAllBytes(pack, bytes);

        Assert.Throws<IntegrityException>(() => SqliteRestore.Run(repository, second, folder.File("out.db")));
        Assert.False(File.Exists(folder.File("out.db")));
        var report = RepositoryChecker.Run(repository, readData: true);
        Assert.False(report.Healthy);
        // The base leaf belongs to both snapshots' page maps.
        Assert.Contains(second.Id, report.DamagedSnapshots.Keys);
        Assert.Contains(first.Id, report.DamagedSnapshots.Keys);
    }

    private static (int Full, int Deltas) LeafKinds(LocalRepository repository, Manifest snapshot)
    {
        var leaves = TreeChunks(repository, snapshot).Where(t => t.Leaf).ToList();
        return (leaves.Count(l => l.Base is null), leaves.Count(l => l.Base is not null));
    }

    /// <summary>The page map's nodes: id, stored length, whether it is a leaf, and a delta's base.</summary>
    private static List<(ChunkId Id, int Length, bool Leaf, ChunkId? Base)> TreeChunks(
        LocalRepository repository,
        Manifest snapshot)
    {
        using var reader = new ChunkReader(repository);
        var nodes = new List<(ChunkId, int, bool, ChunkId?)>();
        Walk(ChunkId.Parse(snapshot.Content.PageMapRoot), snapshot.Content.PageMapDepth);
        return nodes;

        void Walk(ChunkId id, int depth)
        {
            byte[] node = reader.Read(id).ToArray();
            if (depth == 1)
            {
                bool delta = node.Length % ChunkId.Bytes != 0;
                nodes.Add((id, node.Length, true, delta ? ChunkId.Read(node.AsSpan(1)) : null));
                return;
            }

            nodes.Add((id, node.Length, false, null));
            for (int offset = 0; offset < node.Length; offset += ChunkId.Bytes)
            {
                Walk(ChunkId.Read(node.AsSpan(offset)), depth - 1);
            }
        }
    }
}
