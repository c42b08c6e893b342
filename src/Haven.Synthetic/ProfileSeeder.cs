using System.Globalization;
using Microsoft.Data.Sqlite;
using static Haven.Synthetic.SyntheticVocabulary;

namespace Haven.Synthetic;

/// <summary>
/// Fills the small per-user tables: accounts, sessions, plans, scales and settings. They hold
/// few bytes but give a backup the table variety of the real file.
/// </summary>
internal sealed class ProfileSeeder(SqliteConnection connection, SyntheticText text, long users)
{
    private static readonly string[] MemoryKeys =
        ["preferred_name", "main_goal", "known_triggers", "coping_style", "sleep_pattern", "support_person"];

    private static readonly string[] AuditActions =
        ["login", "logout", "failed_login", "export_data", "view_record", "update_profile", "change_pin"];

    private static readonly string[] AlertLevels = ["info", "warning", "critical"];

    private Random Random => text.Random;

    public void SeedAll()
    {
        SeedUsers();
        ForEachUser("sessions", ["user_id", "token", "created_at", "expires_at"], 1, 4,
            id => [id, text.Hex(32), Timestamps.ToText(Time()), Timestamps.ToText(Time().AddDays(30))]);
        ForEachUser("gratitude_logs", ["user_id", "entry", "created_at"], 2, 8,
            id => [id, text.Paragraph(Random.Next(30, 120)), Timestamps.ToText(Time())]);
        ForEachUser("safety_plans", ["user_id", "triggers", "coping", "contacts", "updated_at"], 1, 1,
            id => [id, List(Objects, 3), List(Techniques, 3), Contacts(), Timestamps.ToText(Time())]);
        ForEachUser("cbt_records",
            ["user_id", "situation", "automatic_thought", "emotion", "intensity", "balanced_thought",
                "created_at"],
            0, 4, id => [id, text.Paragraph(60), text.Paragraph(40), text.Pick(Feelings), Random.Next(1, 101),
                text.Paragraph(60), Timestamps.ToText(Time())]);
        ForEachUser("clinical_scales", ["user_id", "scale", "score", "answers", "created_at"], 2, 10, Scale);
        SeedMemory();
        ForEachUser("community_posts", ["user_id", "title", "body", "likes", "created_at"], 0, 3,
            id => [id, $"Feeling {text.Pick(Feelings)} {text.Pick(Times)}", text.Paragraph(),
                Random.Next(0, 51), Timestamps.ToText(Time())]);
        ForEachUser("alerts", ["user_id", "level", "message", "acknowledged", "created_at"], 0, 2,
            id => [id, text.Pick(AlertLevels), text.Paragraph(50), Random.Next(2), Timestamps.ToText(Time())]);
        SeedSettings();
        ForEachUser("audit_logs", ["user_id", "action", "detail", "ip_address", "created_at"], 3, 10,
            id => [id, text.Pick(AuditActions), $"client=app/{Random.Next(1, 6)}.{Random.Next(10)}",
                $"10.{Random.Next(256)}.{Random.Next(256)}.{Random.Next(1, 255)}", Timestamps.ToText(Time())]);
    }

    private void SeedUsers()
    {
        using var insert = new PreparedInsert(connection, "users", "id", "username", "password_hash", "pin_hash",
            "last_login", "full_name", "date_of_birth", "conditions", "role");
        for (var id = 1L; id <= users; id++)
        {
            // The suffix keeps usernames unique however the syllables fall.
            var username = $"{text.Name().ToLowerInvariant()}{id}";
            var passwordHash = $"$argon2id$v=19$m=65536,t=3,p=4${text.Base64(16)}${text.Base64(32)}";
            var pinHash = $"pbkdf2_sha256$600000${text.Base64(12)}${text.Base64(32)}";
            var born = new DateTime(1950, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(Random.Next(0, 20000));
            var role = id == 1 ? "admin" : id % 25 == 0 ? "clinician" : "patient";
            insert.Execute(id, username, passwordHash, pinHash, Timestamps.ToText(Time()), text.FullName(),
                born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                List(Conditions, Random.Next(1, 3)), role);
        }
    }

    private void SeedMemory()
    {
        using var insert = new PreparedInsert(connection, "ai_memory", "user_id", "key", "value", "updated_at");
        for (var id = 1L; id <= users; id++)
        {
            // A prefix of a shuffled key list keeps (user_id, key) unique.
            var keys = MemoryKeys.ToArray();
            Random.Shuffle(keys);
            foreach (var key in keys.Take(Random.Next(2, keys.Length + 1)))
            {
                var value = key == "preferred_name" ? text.Name() : text.Paragraph(40);
                insert.Execute(id, key, value, Timestamps.ToText(Time()));
            }
        }
    }

    private void SeedSettings()
    {
        using var insert = new PreparedInsert(connection, "settings", "user_id", "key", "value");
        for (var id = 1L; id <= users; id++)
        {
            insert.Execute(id, "theme", Random.Next(2) == 0 ? "light" : "dark");
            insert.Execute(id, "reminder_time", $"{Random.Next(7, 23):00}:{Random.Next(4) * 15:00}");
            insert.Execute(id, "notifications", Random.Next(4) == 0 ? "off" : "on");
            insert.Execute(id, "share_with_clinician", Random.Next(2).ToString(CultureInfo.InvariantCulture));
        }
    }

    private object?[] Scale(long userId)
    {
        var phq9 = Random.Next(2) == 0;
        var answers = Enumerable.Range(0, phq9 ? 9 : 7).Select(_ => Random.Next(4)).ToArray();
        return [userId, phq9 ? "PHQ-9" : "GAD-7", answers.Sum(), $"[{string.Join(",", answers)}]",
            Timestamps.ToText(Time())];
    }

    private void ForEachUser(string table, string[] columns, int min, int max, Func<long, object?[]> row)
    {
        using var insert = new PreparedInsert(connection, table, columns);
        for (var id = 1L; id <= users; id++)
        {
            var rows = Random.Next(min, max + 1);
            for (var i = 0; i < rows; i++)
            {
                insert.Execute(row(id));
            }
        }
    }

    private string List(string[] words, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(_ => text.Pick(words)));

    private string Contacts() =>
        $"{text.FullName()} 07{Random.Next(100_000_000, 999_999_999)}; " +
        $"{text.FullName()} 07{Random.Next(100_000_000, 999_999_999)}; crisis line 116 123";

    /// <summary>A time within the two years of generated history.</summary>
    private DateTime Time() => Timestamps.Epoch.AddSeconds(Random.Next(0, 2 * 365 * 24 * 3600));
}
