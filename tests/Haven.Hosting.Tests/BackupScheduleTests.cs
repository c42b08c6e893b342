namespace Haven.Hosting.Tests;

public sealed class BackupScheduleTests
{
    [Fact]
    public void Hourly_AcrossClocksGoingBack_RunsOncePerRealHour()
    {
        // Europe/London, 2026-10-25: 02:00 BST becomes 01:00 GMT at 01:00 UTC, so 01:00 local happens twice.
        var schedule = BackupSchedule.Parse("0 * * * *", "Europe/London");

        var runs = Occurrences(schedule, Utc("2026-10-24T22:30:00Z"), 5);

        Assert.Equal(
            [
                Utc("2026-10-24T23:00:00Z"),
                Utc("2026-10-25T00:00:00Z"),
                Utc("2026-10-25T01:00:00Z"),
                Utc("2026-10-25T02:00:00Z"),
                Utc("2026-10-25T03:00:00Z"),
            ],
            runs);
    }

    [Fact]
    public void Hourly_AcrossClocksGoingForward_RunsOncePerRealHour()
    {
        // Europe/London, 2026-03-29: 01:00 GMT becomes 02:00 BST, so 01:00-02:00 local never happens.
        var schedule = BackupSchedule.Parse("0 * * * *", "Europe/London");

        var runs = Occurrences(schedule, Utc("2026-03-28T23:30:00Z"), 4);

        Assert.Equal(
            [
                Utc("2026-03-29T00:00:00Z"),
                Utc("2026-03-29T01:00:00Z"),
                Utc("2026-03-29T02:00:00Z"),
                Utc("2026-03-29T03:00:00Z"),
            ],
            runs);
    }

    [Fact]
    public void DailyAtRepeatedLocalTime_RunsOnceThatDay()
    {
        var schedule = BackupSchedule.Parse("30 1 * * *", "Europe/London");

        var runs = Occurrences(schedule, Utc("2026-10-24T12:00:00Z"), 3);

        Assert.Equal([Utc("2026-10-25T00:30:00Z"), Utc("2026-10-26T01:30:00Z"), Utc("2026-10-27T01:30:00Z")], runs);
    }

    [Fact]
    public void Parse_UnknownZone_Throws() =>
        Assert.Throws<TimeZoneNotFoundException>(() => BackupSchedule.Parse("0 * * * *", "Mars/Olympus_Mons"));

    private static List<DateTimeOffset> Occurrences(BackupSchedule schedule, DateTimeOffset from, int count)
    {
        var runs = new List<DateTimeOffset>();
        var at = from;
        while (runs.Count < count && schedule.Next(at) is { } next)
        {
            Assert.Equal(TimeSpan.Zero, next.Offset);
            runs.Add(next);
            at = next;
        }

        return runs;
    }

    private static DateTimeOffset Utc(string text) =>
        DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}
