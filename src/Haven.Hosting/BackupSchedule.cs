using Cronos;

namespace Haven.Hosting;

/// <summary>
/// A cron expression read in a time zone. Occurrences are computed by Cronos in the zone and
/// returned in UTC: an interval schedule (every hour) runs once per real hour across a
/// daylight-saving change, a fixed-time schedule (01:30 daily) runs once on the day the clock
/// repeats an hour and at the shifted time on the day it skips one.
/// </summary>
internal sealed class BackupSchedule
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private BackupSchedule(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>Parses; throws <see cref="CronFormatException"/> or <see cref="TimeZoneNotFoundException"/>.</summary>
    public static BackupSchedule Parse(string cron, string timeZone)
    {
        string[] fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var format = fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        var expression = CronExpression.Parse(cron, format);
        var zone = string.IsNullOrWhiteSpace(timeZone)
            ? TimeZoneInfo.Utc
            : TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        return new BackupSchedule(expression, zone);
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, in UTC; null when there is none.
    /// </summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        var next = _expression.GetNextOccurrence(after, _zone);
        return next?.ToUniversalTime();
    }
}
