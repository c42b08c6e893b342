using System.Globalization;
using Haven.Core.Audit;
using Haven.Core.Configuration;
using Haven.Core.Repository;

namespace Haven.Core.Report;

/// <summary>Builds a <see cref="ComplianceReport"/> from the repository's key slots and audit log alone.</summary>
public static class ComplianceReportBuilder
{
    private const string Art32b = "UK GDPR Art. 32(1)(b)";
    private const string Iso = "ISO/IEC 27001:2022 A.8.13";
    private const string Dspt = "NHS DSPT standard 7 (continuity planning)";

    /// <summary>Builds the report for the <paramref name="days"/> days up to now.</summary>
    public static ComplianceReport Build(LocalRepository repository, HavenSettings settings, int days)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(settings);
        DateTime now = repository.Time.GetUtcNow().UtcDateTime;
        DateTime start = now.AddDays(-days);
        var audit = AuditVerifier.Verify(repository);
        var events = ReadableEvents(repository);
        var inPeriod = events.Where(e => e.Time >= start).ToList();
        var sources = Sources(events, inPeriod, start, now, days);
        var failed = inPeriod.Where(e => e.Type == AuditEventTypes.BackupFailed)
            .Concat(Interrupted(repository, events).Where(e => e.Time >= start))
            .OrderBy(e => e.Seq)
            .Select(Ref)
            .ToList();
        var slots = repository.KeySlots().Select(s => s.ToString()).ToList();
        var report = new ComplianceReport
        {
            Generated = now,
            PeriodStart = start,
            Days = days,
            Repository = repository.Config.Id,
            Sources = sources,
            FailedBackups = failed,
            Encryption = new EncryptionEvidence { KeySlots = slots },
            Retention = "No retention policy is configured: no snapshot has been removed.",
            Audit = new AuditEvidence(audit.Intact, audit.Events, audit.Problem),
            OpenErasures = 0,
            Targets = settings.Targets,
            Claims = [],
        };
        return report with { Claims = Claims(repository, report, inPeriod, settings.Targets, now) };
    }

    /// <summary>
    /// Backups that started and recorded no outcome: killed, or their machine stopped. Backups hold
    /// the repository lock, so one is over when the next backup starts, or when nobody holds the
    /// lock any more; the last one is still running only while the lock is held.
    /// </summary>
    private static IEnumerable<AuditEvent> Interrupted(LocalRepository repository, List<AuditEvent> events)
    {
        AuditEvent? open = null;
        foreach (var e in events)
        {
            if (e.Type == AuditEventTypes.BackupStarted)
            {
                if (open is not null)
                {
                    yield return Marked(open);
                }

                open = e;
            }
            else if (e.Type is AuditEventTypes.BackupCompleted or AuditEventTypes.BackupFailed
                && open is not null
                && e.Details.GetValueOrDefault("source") == open.Details.GetValueOrDefault("source"))
            {
                open = null;
            }
        }

        if (open is not null && !RepositoryLock.IsHeld(repository.LockPath, repository.Time))
        {
            yield return Marked(open);
        }

        static AuditEvent Marked(AuditEvent started) => started with
        {
            Details = new Dictionary<string, string>(started.Details)
            {
                ["outcome"] = "interrupted: started and never completed (killed, or the machine stopped)",
            },
        };
    }

    private static List<AuditEvent> ReadableEvents(LocalRepository repository)
    {
        var events = new List<AuditEvent>();
        try
        {
            events.AddRange(repository.Audit.Events());
        }
        catch (IntegrityException)
        {
            // The chain's status says where it broke; the report uses what precedes the damage.
        }

        return events;
    }

    private static List<SourceEvidence> Sources(
        List<AuditEvent> all,
        List<AuditEvent> inPeriod,
        DateTime start,
        DateTime now,
        int days)
    {
        var paths = all
            .Where(IsBackup)
            .Select(e => e.Details["source"])
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return [.. paths.Select(path => Source(path, all, inPeriod, start, now, days))];
    }

    private static bool IsBackup(AuditEvent e) =>
        e.Type == AuditEventTypes.BackupCompleted
            && e.Details.GetValueOrDefault("trigger") != Backup.Triggers.PreRestore;

    private static SourceEvidence Source(
        string path,
        List<AuditEvent> all,
        List<AuditEvent> inPeriod,
        DateTime start,
        DateTime now,
        int days)
    {
        var backups = inPeriod.Where(e => IsBackup(e) && e.Details["source"] == path).Select(e => e.Time).ToList();
        var perDay = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int d = 0; d <= days; d++)
        {
            perDay[start.AddDays(d).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)] = 0;
        }

        foreach (var time in backups)
        {
            string day = time.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            perDay[day] = perDay.GetValueOrDefault(day) + 1;
        }

        var drills = all
            .Where(e => e.Type == AuditEventTypes.DrillCompleted && e.Details.GetValueOrDefault("source") == path)
            .ToList();
        var lastPassed = drills.LastOrDefault(e => e.Details["passed"] == "true");
        var previous = all.LastOrDefault(e => IsBackup(e) && e.Details["source"] == path && e.Time < start)?.Time;
        return new SourceEvidence
        {
            Source = path,
            Backups = backups.Count,
            BackupsPerDay = perDay,
            LastBackup = backups.Count > 0 ? backups[^1] : previous,
            LargestGapHours = LargestGap(previous ?? (backups.Count > 0 ? backups[0] : null), backups, now),
            LastPassedDrill = lastPassed?.Time,
            LastDrillRtoSeconds = lastPassed is null
                ? null
                : double.Parse(lastPassed.Details["rtoSeconds"], CultureInfo.InvariantCulture),
            FailedDrills = drills.Count(e => e.Time >= start && e.Details["passed"] != "true"),
        };
    }

    /// <summary>Largest gap between consecutive backups, counting the time from the last one to now.</summary>
    private static double? LargestGap(DateTime? first, List<DateTime> backups, DateTime now)
    {
        if (first is null)
        {
            return null;
        }

        var times = new List<DateTime> { first.Value };
        times.AddRange(backups.Where(t => t > first.Value));
        times.Add(now);
        return times.Zip(times.Skip(1), (a, b) => (b - a).TotalHours).Max();
    }

    private static EventRef Ref(AuditEvent e) => new(
        e.Seq,
        e.Time,
        e.Type,
        string.Join(' ', e.Details.Where(d => d.Value.Length > 0).Select(d => $"{d.Key}={d.Value}")));

    private static List<ClaimEvidence> Claims(
        LocalRepository repository,
        ComplianceReport report,
        List<AuditEvent> inPeriod,
        TargetSettings targets,
        DateTime now)
    {
        return
        [
            EncryptedClaim(repository, report),
            RegularBackupsClaim(report, inPeriod, targets),
            TestedRecoveryClaim(report, inPeriod, targets, now),
            IntegrityClaim(inPeriod),
            AuditClaim(report, inPeriod),
            new ClaimEvidence
            {
                Claim = "Backups are kept no longer than necessary.",
                Rules = "UK GDPR Art. 5(1)(e) (storage limitation)",
                Status = ClaimStatus.NotEvaluated,
                Finding = "No retention policy is configured in Haven, so nothing here shows old " +
                    "backups being removed; evidence must come from elsewhere.",
            },
        ];
    }

    private static ClaimEvidence EncryptedClaim(LocalRepository repository, ComplianceReport report)
    {
        var slots = repository.KeySlots();
        bool strong = slots.Count > 0
            && slots.All(s => s.Kdf == "hkdf-sha256" || (s.Kdf == "argon2id" && s.MemoryKiB >= 64 * 1024));
        return new ClaimEvidence
        {
            Claim = "Backups are encrypted at rest, and nothing in them is readable without a key.",
            Rules = $"UK GDPR Art. 32(1)(a); {Art32b} (confidentiality); {Iso}",
            Status = strong ? ClaimStatus.Supported : ClaimStatus.Unsupported,
            Finding = strong
                ? $"Every object is encrypted with {report.Encryption.Cipher}; " +
                    $"{slots.Count} key slot(s), each with a strong key derivation."
                : "A key slot uses a key derivation weaker than Argon2id with 64 MiB.",
        };
    }

    private static ClaimEvidence RegularBackupsClaim(
        ComplianceReport report,
        List<AuditEvent> inPeriod,
        TargetSettings targets)
    {
        var late = report.Sources
            .Where(s => s.LargestGapHours is null || s.LargestGapHours > targets.RpoHours)
            .ToList();
        bool supported = report.Sources.Count > 0 && late.Count == 0;
        return new ClaimEvidence
        {
            Claim = $"Every protected database is backed up at least every {targets.RpoHours:0.#} hours.",
            Rules = $"{Art32b} (availability and resilience); {Dspt}; {Iso}",
            Status = supported ? ClaimStatus.Supported : ClaimStatus.Unsupported,
            Finding = report.Sources.Count == 0 ? "No source has been backed up."
                : supported ? $"The largest gap between successful backups of any source was " +
                    $"{report.Sources.Max(s => s.LargestGapHours):0.##} hours."
                : $"{string.Join(", ", late.Select(s => s.Source))}: largest gap " +
                    $"{late.Max(s => s.LargestGapHours ?? double.PositiveInfinity):0.##} hours, over the " +
                    $"{targets.RpoHours:0.#}-hour target.",
            Evidence = [.. inPeriod.Where(IsBackup).TakeLast(20).Select(Ref)],
        };
    }

    private static ClaimEvidence TestedRecoveryClaim(
        ComplianceReport report,
        List<AuditEvent> inPeriod,
        TargetSettings targets,
        DateTime now)
    {
        var untested = report.Sources
            .Where(
                s => s.LastPassedDrill is null
                    || (now - s.LastPassedDrill.Value).TotalDays > targets.DrillMaxAgeDays
                    || s.LastDrillRtoSeconds > targets.RtoSeconds)
            .ToList();
        bool supported = report.Sources.Count > 0 && untested.Count == 0;
        return new ClaimEvidence
        {
            Claim = $"Recovery is tested: every database was restored and verified in the last " +
                $"{targets.DrillMaxAgeDays:0.#} days, within {targets.RtoSeconds:0.#} seconds.",
            Rules = "UK GDPR Art. 32(1)(c) (timely restore) and 32(1)(d) (regular testing); " + $"{Dspt}; {Iso}",
            Status = supported ? ClaimStatus.Supported : ClaimStatus.Unsupported,
            Finding = supported
                ? $"Each source has a passing drill; the slowest recovery took " +
                    $"{report.Sources.Max(s => s.LastDrillRtoSeconds):0.##} s."
                : $"No recent passing drill within the time target for: " +
                    $"{string.Join(", ", untested.Select(s => s.Source).DefaultIfEmpty("any source"))}.",
            Evidence = [.. inPeriod.Where(e => e.Type == AuditEventTypes.DrillCompleted).TakeLast(20).Select(Ref)],
        };
    }

    private static ClaimEvidence IntegrityClaim(List<AuditEvent> inPeriod)
    {
        var checks = inPeriod
            .Where(e => e.Type == AuditEventTypes.CheckCompleted && e.Details.GetValueOrDefault("readData") == "true")
            .ToList();
        var last = checks.LastOrDefault();
        bool supported = last is not null && last.Details["healthy"] == "true";
        return new ClaimEvidence
        {
            Claim = "Backups are intact: every stored byte was read back and verified.",
            Rules = $"{Art32b} (integrity); {Iso}",
            Status = supported ? ClaimStatus.Supported : ClaimStatus.Unsupported,
            Finding = last is null ? "No full check ('haven check --read-data') ran in the period."
                : supported ? $"The last full check (event {last.Seq}) found no damage."
                : $"The last full check (event {last.Seq}) found damage: " +
                    $"{last.Details.GetValueOrDefault("damagedObjects")}.",
            Evidence = [.. checks.TakeLast(5).Select(Ref)],
        };
    }

    private static ClaimEvidence AuditClaim(ComplianceReport report, List<AuditEvent> inPeriod) => new()
    {
        Claim = "Every backup event is recorded in a tamper-evident audit log.",
        Rules = $"{Art32b}; UK GDPR Art. 5(2) (accountability); {Dspt}",
        Status = report.Audit.Intact ? ClaimStatus.Supported : ClaimStatus.Unsupported,
        Finding = report.Audit.Intact
            ? $"The audit chain of {report.Audit.Events} events verifies, and " +
                $"every snapshot's recorded position is in it."
            : $"The audit chain fails verification: {report.Audit.Problem}",
        Evidence = [.. inPeriod.TakeLast(3).Select(Ref)],
    };
}
