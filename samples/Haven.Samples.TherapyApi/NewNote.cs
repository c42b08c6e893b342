namespace Haven.Samples.TherapyApi;

/// <summary>A clinician's note about a session.</summary>
public sealed record NewNote(string Text);
