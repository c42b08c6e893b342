namespace Haven.Core.Tests.Support;

/// <summary>A clock that tests move by hand, so that time-dependent evidence never depends on the machine.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
