namespace Haven.Synthetic;

/// <summary>How many rows a change to a synthetic database touched.</summary>
/// <param name="RowsUpdated">Rows whose contents were rewritten in place.</param>
/// <param name="RowsInserted">Rows added.</param>
public sealed record ChangeSummary(long RowsUpdated, long RowsInserted);
