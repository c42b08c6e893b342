namespace Haven.Synthetic;

/// <summary>
/// The host application's tables, with the foreign keys and indexes a real app has, because they
/// decide how pages interleave in the file and so how a backup's chunks change.
/// </summary>
internal static class ClinicalSchema
{
    public const string Ddl = """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            pin_hash TEXT,
            last_login TEXT,
            full_name TEXT NOT NULL,
            date_of_birth TEXT,
            conditions TEXT,
            role TEXT NOT NULL DEFAULT 'patient'
        );
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            token TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE mood_logs (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            mood INTEGER NOT NULL CHECK (mood BETWEEN 1 AND 10),
            sleep_hours REAL,
            medication TEXT,
            notes TEXT,
            sentiment REAL,
            exercise_minutes INTEGER,
            outside_minutes INTEGER,
            water INTEGER,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_mood_logs_user_time ON mood_logs(user_id, created_at);
        CREATE TABLE gratitude_logs (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            entry TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE safety_plans (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
            triggers TEXT,
            coping TEXT,
            contacts TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE cbt_records (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            situation TEXT,
            automatic_thought TEXT,
            emotion TEXT,
            intensity INTEGER,
            balanced_thought TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE clinical_scales (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            scale TEXT NOT NULL CHECK (scale IN ('PHQ-9', 'GAD-7')),
            score INTEGER NOT NULL,
            answers TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_clinical_scales_user ON clinical_scales(user_id, scale, created_at);
        CREATE TABLE chat_history (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            session TEXT NOT NULL,
            sender TEXT NOT NULL CHECK (sender IN ('user', 'assistant')),
            message TEXT NOT NULL,
            tokens INTEGER,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_chat_history_user_time ON chat_history(user_id, created_at);
        CREATE TABLE ai_memory (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (user_id, key)
        );
        CREATE TABLE community_posts (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            likes INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            level TEXT NOT NULL,
            message TEXT NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE settings (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (user_id, key)
        );
        CREATE TABLE audit_logs (
            id INTEGER PRIMARY KEY,
            user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
            action TEXT NOT NULL,
            detail TEXT,
            ip_address TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_audit_logs_time ON audit_logs(created_at);
        """;
}
