namespace Haven.Samples.TherapyApi;

/// <summary>A patient to add: a display name (synthetic in tests and demos) and optional conditions.</summary>
public sealed record NewPatient(string Name, string? Conditions = null);
