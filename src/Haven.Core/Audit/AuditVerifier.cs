using Haven.Core.Repository;

namespace Haven.Core.Audit;

/// <summary>The outcome of verifying the audit log.</summary>
/// <param name="Events">Number of events that verified.</param>
/// <param name="FirstBadEvent">Number of the first event that failed, or null when the chain is intact.</param>
/// <param name="Problem">What is wrong with it, or null.</param>
public sealed record AuditVerification(long Events, long? FirstBadEvent, string? Problem)
{
    /// <summary>True when every event verified and every snapshot's recorded head is in the log.</summary>
    public bool Intact => Problem is null;
}

/// <summary>
/// Verifies the audit log: events numbered 1..N with no gap, each authenticated and bound to its
/// number, each naming the hash of the one before it, and every snapshot's recorded head present
/// with the same hash. Detects an edited, deleted, reordered, replayed or truncated log.
/// </summary>
public static class AuditVerifier
{
    /// <summary>Verifies the whole chain.</summary>
    public static AuditVerification Verify(LocalRepository repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var log = repository.Audit;
        var numbers = log.EventNumbers().ToList();
        var hashes = new Dictionary<long, string>();
        string previous = "";
        for (int i = 0; i < numbers.Count; i++)
        {
            long expected = i + 1;
            if (numbers[i] != expected)
            {
                return new AuditVerification(
                    i,
                    expected,
                    $"audit event {expected} is missing: the log was cut or an event deleted");
            }

            try
            {
                var (evt, hash) = log.Read(expected);
                if (evt.Previous != previous)
                {
                    return new AuditVerification(
                        i,
                        expected,
                        $"audit event {expected} does not follow event {expected - 1}: " +
                        $"events were reordered, replaced or replayed");
                }

                hashes[expected] = hash;
                previous = hash;
            }
            catch (IntegrityException e)
            {
                return new AuditVerification(i, expected, e.Message);
            }
        }

        return CheckSnapshotHeads(repository, numbers.Count, hashes);
    }

    private static AuditVerification CheckSnapshotHeads(
        LocalRepository repository,
        long events,
        Dictionary<long, string> hashes)
    {
        var (manifests, _) = repository.ReadAllSnapshots();
        foreach (var manifest in manifests.Where(m => m.AuditHead is not null).OrderBy(m => m.AuditHead!.Seq))
        {
            var head = manifest.AuditHead!;
            if (head.Seq > events)
            {
                return new AuditVerification(events, events + 1,
                    $"the audit log ends at event {events}, but snapshot {manifest.Id} " +
                    $"recorded event {head.Seq}: the log was truncated");
            }

            if (head.Seq > 0 && hashes[head.Seq] != head.Hash)
            {
                return new AuditVerification(events, head.Seq,
                    $"audit event {head.Seq} is not the event snapshot {manifest.Id} recorded: the log was rewritten");
            }
        }

        return new AuditVerification(events, null, null);
    }
}
