using Microsoft.Extensions.Logging;

namespace Haven.Hosting;

/// <summary>
/// Haven.Hosting's log events. Ids are stable (4100-4199) so that alerts can match on them;
/// messages carry paths, triggers, ids and sizes only, never a secret, connection string or row data.
/// </summary>
internal static partial class HostingLog
{
    [LoggerMessage(
        EventId = 4101,
        Level = LogLevel.Information,
        Message = "Backup of {Source} ({Trigger}) completed: snapshot {SnapshotId}, "
            + "{AddedBytes} bytes added in {Seconds:F2} s")]
    public static partial void BackupCompleted(
        ILogger logger,
        string source,
        string trigger,
        string snapshotId,
        long addedBytes,
        double seconds);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "Backup of {Source} ({Trigger}) failed: {Error}")]
    public static partial void BackupFailed(ILogger logger, string source, string trigger, string error);

    [LoggerMessage(
        EventId = 4103,
        Level = LogLevel.Warning,
        Message = "Repository busy for the backup of {Source}; attempt {Attempt} of {Attempts}, "
            + "trying again in {Delay}")]
    public static partial void RepositoryBusy(ILogger logger, string source, int attempt, int attempts, TimeSpan delay);

    [LoggerMessage(
        EventId = 4104,
        Level = LogLevel.Error,
        Message = "Cannot open the Haven repository at {Repository}: {Error}")]
    public static partial void RepositoryUnavailable(ILogger logger, string repository, string error);

    [LoggerMessage(
        EventId = 4105,
        Level = LogLevel.Information,
        Message = "Haven created a new repository at {Repository}")]
    public static partial void RepositoryCreated(ILogger logger, string repository);

    [LoggerMessage(
        EventId = 4110,
        Level = LogLevel.Information,
        Message = "Drill of {Source} (snapshot {SnapshotId}) {Outcome}: recovery took {RtoSeconds:F2} s")]
    public static partial void DrillCompleted(
        ILogger logger,
        string source,
        string snapshotId,
        string outcome,
        double rtoSeconds);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Error, Message = "Drill of {Source} could not run: {Error}")]
    public static partial void DrillFailed(ILogger logger, string source, string error);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "Next scheduled {Job} at {NextUtc:O}")]
    public static partial void NextRun(ILogger logger, string job, DateTimeOffset nextUtc);

    [LoggerMessage(
        EventId = 4130,
        Level = LogLevel.Warning,
        Message = "Shutdown timed out: any in-flight backup is abandoned; no partial snapshot is listed")]
    public static partial void BackupAbandoned(ILogger logger);

    [LoggerMessage(EventId = 4131, Level = LogLevel.Information, Message = "Final snapshot before shutdown ({Reason})")]
    public static partial void FinalSnapshot(ILogger logger, string reason);

    [LoggerMessage(
        EventId = 4140,
        Level = LogLevel.Warning,
        Message = "Newest snapshot of {Source} is older than {Limit}; "
            + "taking the launch snapshot before the app starts")]
    public static partial void LaunchRequired(ILogger logger, string source, TimeSpan limit);
}
