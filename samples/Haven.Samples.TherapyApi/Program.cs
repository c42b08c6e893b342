using Haven.Hosting;
using Haven.Samples.TherapyApi;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton(services =>
    new TherapyDatabase(services.GetRequiredService<IConfiguration>()["App:DatabasePath"] ?? "therapy.db"));

// Haven: the "Haven" section of appsettings.json (or Haven__* environment variables) says what to
// protect and where; this one line adds the launch snapshot, the trigger, the schedule and the health check.
builder.Services.AddHaven();

var app = builder.Build();
app.Services.GetRequiredService<TherapyDatabase>().EnsureCreated();
app.MapHealthChecks("/health");

app.MapPost("/patients", (NewPatient patient, TherapyDatabase db) =>
{
    long id = db.AddPatient(patient);
    return Results.Created($"/patients/{id}", new { id });
});

app.MapDelete("/patients/{id:long}", async (
    long id,
    TherapyDatabase db,
    IBackupTrigger backup,
    CancellationToken cancellationToken) =>
{
    if (!db.DeletePatient(id))
    {
        return Results.NotFound();
    }

    // A deleted patient record must be recoverable: ask for a snapshot now (coalesced, in the background).
    await backup.RequestBackupAsync($"patient {id} deleted", cancellationToken);
    return Results.NoContent();
});

app.MapPost("/patients/import", async (
    NewPatient[] patients,
    bool? wait,
    TherapyDatabase db,
    IBackupTrigger backup,
    CancellationToken cancellationToken) =>
{
    int count = db.ImportPatients(patients);
    string reason = $"bulk import of {count} patients";
    if (wait == true)
    {
        // "Back up before I answer": the snapshot returned holds this import.
        var snapshots = await backup.RequestBackupAndWaitAsync(reason, cancellationToken);
        return Results.Ok(new { imported = count, snapshots = snapshots.Select(s => s.Id) });
    }

    await backup.RequestBackupAsync(reason, cancellationToken);
    return Results.Ok(new { imported = count });
});

app.MapPost("/patients/{id:long}/moods", (long id, NewMoodLog mood, TherapyDatabase db) =>
    db.AddMoodLog(id, mood) is { } logId
        ? Results.Created($"/patients/{id}/moods/{logId}", new { id = logId })
        : Results.NotFound());

app.MapPost("/patients/{id:long}/notes", (long id, NewNote note, TherapyDatabase db) =>
    db.AddNote(id, note) is { } noteId
        ? Results.Created($"/patients/{id}/notes/{noteId}", new { id = noteId })
        : Results.NotFound());

app.Run();

/// <summary>The sample's entry point; public so that tests can boot it with WebApplicationFactory.</summary>
public partial class Program;
