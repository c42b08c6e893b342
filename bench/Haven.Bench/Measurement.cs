namespace Haven.Bench;

/// <summary>One timed run of one tool on one case.</summary>
internal sealed record Measurement(string Tool, string Case, int Run, double Seconds, long BytesAdded, long PeakRssKiB);
