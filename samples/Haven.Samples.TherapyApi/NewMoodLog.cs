namespace Haven.Samples.TherapyApi;

/// <summary>A mood check-in: mood from 1 to 10, hours slept, free-text notes.</summary>
public sealed record NewMoodLog(int Mood, double? SleepHours = null, string? Notes = null);
