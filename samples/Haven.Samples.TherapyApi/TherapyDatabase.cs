using Microsoft.Data.Sqlite;

namespace Haven.Samples.TherapyApi;

/// <summary>
/// The sample app's SQLite file: patients, mood logs and notes, in WAL mode so that Haven's
/// snapshots never block the app's writes. Created with its folder if missing.
/// </summary>
public sealed class TherapyDatabase(string path)
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS patients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, conditions TEXT, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS mood_logs (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
            mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 10), sleep_hours REAL, notes TEXT, time TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
            text TEXT NOT NULL, time TEXT NOT NULL);
        """;

    /// <summary>The database file's full path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Creates the file, its folder and the tables when missing.</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = Open();
        Execute(connection, Schema);
    }

    /// <summary>Adds a patient and returns the new id.</summary>
    public long AddPatient(NewPatient patient)
    {
        ArgumentNullException.ThrowIfNull(patient);
        using var connection = Open();
        return Insert(connection, patient);
    }

    /// <summary>Adds many patients in one transaction; returns how many.</summary>
    public int ImportPatients(IReadOnlyList<NewPatient> patients)
    {
        ArgumentNullException.ThrowIfNull(patients);
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        foreach (var patient in patients)
        {
            Insert(connection, patient);
        }

        transaction.Commit();
        return patients.Count;
    }

    /// <summary>Deletes a patient with their mood logs and notes; false when there is no such patient.</summary>
    public bool DeletePatient(long id)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM patients WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>Adds a mood log; null when the patient does not exist.</summary>
    public long? AddMoodLog(long patientId, NewMoodLog mood)
    {
        ArgumentNullException.ThrowIfNull(mood);
        return InsertFor(patientId,
            "INSERT INTO mood_logs (patient_id, mood, sleep_hours, notes, time) "
            + "VALUES ($p, $a, $b, $c, $t) RETURNING id",
            mood.Mood, mood.SleepHours, mood.Notes);
    }

    /// <summary>Adds a note; null when the patient does not exist.</summary>
    public long? AddNote(long patientId, NewNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        return InsertFor(
            patientId,
            "INSERT INTO notes (patient_id, text, time) VALUES ($p, $a, $t) RETURNING id",
            note.Text,
            null,
            null);
    }

    private long? InsertFor(long patientId, string sql, object? a, object? b, object? c)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM patients WHERE id = $p";
        command.Parameters.AddWithValue("$p", patientId);
        if ((long)command.ExecuteScalar()! == 0)
        {
            return null;
        }

        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", a ?? DBNull.Value);
        command.Parameters.AddWithValue("$b", b ?? DBNull.Value);
        command.Parameters.AddWithValue("$c", c ?? DBNull.Value);
        command.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
        return (long)command.ExecuteScalar()!;
    }

    private static long Insert(SqliteConnection connection, NewPatient patient)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO patients (name, conditions, created) VALUES ($n, $c, $t) RETURNING id";
        command.Parameters.AddWithValue("$n", patient.Name);
        command.Parameters.AddWithValue("$c", (object?)patient.Conditions ?? DBNull.Value);
        command.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path};Foreign Keys=True");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
