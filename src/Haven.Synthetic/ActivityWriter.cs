using Microsoft.Data.Sqlite;
using static Haven.Synthetic.SyntheticVocabulary;

namespace Haven.Synthetic;

/// <summary>
/// Writes the two tables that hold most of the host app's bytes, <c>mood_logs</c> and
/// <c>chat_history</c>, as a stream of user activity moving forward in time.
/// </summary>
internal sealed class ActivityWriter : IDisposable
{
    private readonly SyntheticText _text;
    private readonly long _users;
    private readonly int _stepSeconds;
    private readonly Queue<string> _moodMarkers;
    private readonly Queue<string> _chatMarkers;
    private readonly PreparedInsert _mood;
    private readonly PreparedInsert _chat;
    private DateTime _clock;

    /// <param name="connection">Open connection; the caller owns transactions.</param>
    /// <param name="text">Source of all content.</param>
    /// <param name="users">Rows are spread uniformly over user ids 1..<paramref name="users"/>.</param>
    /// <param name="start">Time of the first row.</param>
    /// <param name="stepSeconds">Mean gap between two users' activity.</param>
    /// <param name="markers">Planted into the next mood log notes and chat messages, in order.</param>
    public ActivityWriter(SqliteConnection connection, SyntheticText text, long users, DateTime start,
        int stepSeconds, IReadOnlyList<string> markers)
    {
        _text = text;
        _users = users;
        _clock = start;
        _stepSeconds = Math.Max(1, stepSeconds);
        _moodMarkers = new Queue<string>(markers);
        _chatMarkers = new Queue<string>(markers);
        _mood = new PreparedInsert(connection, "mood_logs", "user_id", "mood", "sleep_hours", "medication",
            "notes", "sentiment", "exercise_minutes", "outside_minutes", "water", "created_at");
        _chat = new PreparedInsert(connection, "chat_history", "user_id", "session", "sender", "message",
            "tokens", "created_at");
    }

    /// <summary>Whether some marker has not been written to both tables yet.</summary>
    public bool MarkersPending => _moodMarkers.Count > 0 || _chatMarkers.Count > 0;

    private Random Random => _text.Random;

    /// <summary>One user's check-in: a mood log, then a chat session of two to seven messages.</summary>
    public void WriteCheckIn()
    {
        var userId = NextUser();
        WriteMoodLog(userId);
        WriteChatSession(userId, Random.Next(2, 8));
    }

    /// <summary>
    /// Appends exactly <paramref name="moodLogs"/> mood logs and <paramref name="chatMessages"/>
    /// chat messages, interleaved by user as a live app writes them.
    /// </summary>
    public void WriteActivity(long moodLogs, long chatMessages)
    {
        while (moodLogs > 0 || chatMessages > 0)
        {
            var userId = NextUser();
            if (moodLogs > 0)
            {
                WriteMoodLog(userId);
                moodLogs--;
            }

            if (chatMessages > 0)
            {
                chatMessages -= WriteChatSession(userId, (int)Math.Min(chatMessages, Random.Next(2, 8)));
            }
        }
    }

    public void Dispose()
    {
        _mood.Dispose();
        _chat.Dispose();
    }

    private long NextUser()
    {
        _clock = _clock.AddSeconds(Random.Next(0, 2 * _stepSeconds + 1));
        return Random.NextInt64(1, _users + 1);
    }

    private void WriteMoodLog(long userId)
    {
        var mood = Random.Next(1, 11);
        var notes = _moodMarkers.TryDequeue(out var marker) ? _text.ParagraphWith(marker) : _text.Paragraph();

        // Sentiment follows mood loosely, as a classifier run over the notes would.
        var sentiment = Math.Round(((mood - 5.5) / 4.5) + ((Random.NextDouble() - 0.5) * 0.4), 3);
        _mood.Execute(userId, mood, Random.Next(6, 21) / 2.0, _text.Pick(Medications), notes, sentiment,
            Random.Next(0, 91), Random.Next(0, 241), Random.Next(0, 13), Timestamps.ToText(_clock));
    }

    private int WriteChatSession(long userId, int messages)
    {
        var session = _text.Hex(8);
        var at = _clock;
        for (var i = 0; i < messages; i++)
        {
            var fromAssistant = i % 2 == 1;
            var message = _chatMarkers.TryDequeue(out var marker)
                ? _text.ParagraphWith(marker)
                : _text.Message(fromAssistant);
            _chat.Execute(userId, session, fromAssistant ? "assistant" : "user", message, message.Length / 4,
                Timestamps.ToText(at));
            at = at.AddSeconds(Random.Next(5, 180));
        }

        return messages;
    }
}
