using Haven.Core.Audit;
using Haven.Core.Backup;
using Haven.Core.Check;
using Haven.Core.Crypto;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Audit;

public class AuditLogTests
{
    private static List<string> TypesAfter(LocalRepository repository, long seq) =>
        [.. repository.Audit.Events().Where(e => e.Seq > seq).Select(e => e.Type)];

    [Fact]
    public void Every_operation_kind_leaves_exactly_the_expected_events()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.3);
        using var repository = Fixtures.NewRepository(folder);
        Assert.Equal([AuditEventTypes.RepositoryCreated], TypesAfter(repository, 0));

        long mark = repository.Audit.Head().Seq;
        var snapshot = SqliteBackup.Run(repository, database, new BackupRequest { Reason = "audit test" });
        Assert.Equal([AuditEventTypes.BackupStarted, AuditEventTypes.BackupCompleted], TypesAfter(repository, mark));
        var completed = repository.Audit.Events().Last();
        Assert.Equal(snapshot.Id, completed.Details["snapshot"]);
        Assert.Equal("audit test", completed.Details["reason"]);

        mark = repository.Audit.Head().Seq;
        SqliteRestore.Run(repository, snapshot, folder.File("copy.db"));
        Assert.Equal([AuditEventTypes.RestoreStarted, AuditEventTypes.RestoreCompleted], TypesAfter(repository, mark));

        mark = repository.Audit.Head().Seq;
        var overExisting = SqliteRestore.Run(repository, snapshot, database);
        Assert.Equal(
            [
                AuditEventTypes.RestoreStarted,
                AuditEventTypes.BackupStarted,
                AuditEventTypes.BackupCompleted,
                AuditEventTypes.RestoreCompleted
            ],
            TypesAfter(repository, mark));
        Assert.Equal(overExisting.PreRestore!.Id, repository.Audit.Events().Last().Details["preRestoreSnapshot"]);

        mark = repository.Audit.Head().Seq;
        File.WriteAllText(folder.File("notes.txt"), "not a database at all, just text");
        Assert.ThrowsAny<HavenException>(() => SqliteBackup.Run(repository, folder.File("notes.txt")));
        Assert.Equal([AuditEventTypes.BackupStarted, AuditEventTypes.BackupFailed], TypesAfter(repository, mark));

        mark = repository.Audit.Head().Seq;
        RepositoryChecker.Run(repository, readData: true);
        using (var extra = Secret.FromPassphrase("second"))
        {
            string slot = repository.AddKeySlot(extra).Id;
            repository.RemoveKeySlot(slot);
        }

        repository.RebuildIndex();
        Assert.Equal(
            [
                AuditEventTypes.CheckCompleted,
                AuditEventTypes.KeySlotAdded,
                AuditEventTypes.KeySlotRemoved,
                AuditEventTypes.IndexRebuilt
            ],
            TypesAfter(repository, mark));

        mark = repository.Audit.Head().Seq;
        using (repository.Lock("backup"))
        {
            Assert.Throws<BusyException>(() => repository.Lock("another backup"));
        }

        Assert.Equal([AuditEventTypes.OperationRefused], TypesAfter(repository, mark));
        Assert.True(AuditVerifier.Verify(repository).Intact);
    }

    [Fact]
    public void A_wrong_passphrase_is_recorded_at_the_next_authenticated_operation_without_the_passphrase()
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.2);
        Fixtures.NewRepository(folder).Dispose();
        using (var wrong = Secret.FromPassphrase("guess-Quokka-77"))
        {
            Assert.Throws<WrongKeyException>(() => LocalRepository.Open(folder.File("repo"), wrong));
        }

        foreach (string note in Directory.EnumerateFiles(folder.File("repo/audit/pending")))
        {
            Assert.DoesNotContain("Quokka", File.ReadAllText(note), StringComparison.Ordinal);
        }

        using var repository = Fixtures.Reopen(folder);
        long mark = repository.Audit.Head().Seq;
        SqliteBackup.Run(repository, database);
        var types = TypesAfter(repository, mark);
        Assert.Equal(AuditEventTypes.OperationRefused, types[0]);
        Assert.Equal("wrong passphrase", repository.Audit.Events().First(e => e.Seq == mark + 1).Details["reason"]);
        Assert.Empty(Directory.EnumerateFiles(folder.File("repo/audit/pending")));
        Assert.True(AuditVerifier.Verify(repository).Intact);
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("delete")]
    [InlineData("swap")]
    [InlineData("replay")]
    [InlineData("truncate")]
    public void Tampering_with_the_log_is_detected_and_the_first_bad_event_named(string tampering)
    {
        using var folder = new TempFolder();
        string database = Fixtures.ClinicalDatabase(folder, 0.2);
        using var repository = Fixtures.NewRepository(folder);
        for (int i = 0; i < 3; i++)
        {
            SqliteBackup.Run(repository, database);
        }

        RepositoryChecker.Run(repository, readData: false);
        Assert.True(AuditVerifier.Verify(repository).Intact);
        string audit = folder.File("repo/audit");
        string Event(long seq) => Path.Combine(audit, AuditLog.FileName(seq));
        long last = repository.Audit.Head().Seq;
        long expected;
        switch (tampering)
        {
            case "edit":
                byte[] bytes = File.ReadAllBytes(Event(3));
                bytes[bytes.Length / 2] ^= 0x01;
                File.WriteAllBytes(Event(3), bytes);
                expected = 3;
                break;
            case "delete":
                File.Delete(Event(4));
                expected = 4;
                break;
            case "swap":
                File.Move(Event(2), Event(last + 10));
                File.Move(Event(5), Event(2));
                File.Move(Event(last + 10), Event(5));
                expected = 2;
                break;
            case "replay":
                File.Copy(Event(2), Event(last + 1));
                expected = last + 1;
                break;
            default:
                // Cut the log back to before the last snapshot's recorded position.
                long head = repository.ReadAllSnapshots().Manifests.Max(m => m.AuditHead!.Seq);
                for (long seq = head; seq <= last; seq++)
                {
                    File.Delete(Event(seq));
                }

                expected = head;
                break;
        }

        var result = AuditVerifier.Verify(repository);
        Assert.False(result.Intact);
        Assert.Equal(expected, result.FirstBadEvent);
        Assert.False(RepositoryChecker.Run(repository, readData: false).Healthy);
    }
}
