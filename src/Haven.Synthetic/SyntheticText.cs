using System.Globalization;
using System.Text;
using static Haven.Synthetic.SyntheticVocabulary;

namespace Haven.Synthetic;

/// <summary>
/// Clinical-sounding text and values drawn from one <see cref="Random"/>, so a seed fixes every
/// row. Templated phrases compress well and invented names compress badly; the mix lands near
/// real notes (about 3-4x with zstd) rather than the 50x of repeated lorem ipsum.
/// </summary>
internal sealed class SyntheticText(Random random)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private readonly StringBuilder _builder = new(512);

    public Random Random { get; } = random;

    /// <summary>A note or message of roughly 100-400 characters.</summary>
    public string Paragraph() => Paragraph(Random.Next(100, 340));

    /// <summary>Whole sentences until the text is at least <paramref name="minLength"/> long.</summary>
    public string Paragraph(int minLength)
    {
        _builder.Clear();
        while (_builder.Length < minLength)
        {
            if (_builder.Length > 0)
            {
                _builder.Append(' ');
            }

            AppendSentence();
        }

        return _builder.ToString();
    }

    /// <summary>A paragraph with <paramref name="marker"/> verbatim between two of its sentences.</summary>
    public string ParagraphWith(string marker) =>
        $"{Paragraph(Random.Next(40, 160))} {marker} {Paragraph(Random.Next(40, 160))}";

    /// <summary>A chat message; the assistant's open with a counselling phrase, as the host's do.</summary>
    public string Message(bool fromAssistant) =>
        fromAssistant ? $"{Pick(AssistantOpeners)} {Paragraph(Random.Next(120, 360))}" : Paragraph();

    public string Pick(string[] words) => words[Random.Next(words.Length)];

    /// <summary>An invented, capitalised name of two or three syllables.</summary>
    public string Name()
    {
        var parts = (First: Pick(Syllables), Second: Pick(Syllables),
            Third: Random.Next(2) == 0 ? "" : Pick(Syllables));
        return string.Create(parts.First.Length + parts.Second.Length + parts.Third.Length, parts,
            static (span, p) =>
            {
                p.First.CopyTo(span);
                p.Second.CopyTo(span[p.First.Length..]);
                p.Third.CopyTo(span[(p.First.Length + p.Second.Length)..]);
                span[0] = char.ToUpperInvariant(span[0]);
            });
    }

    public string FullName() => $"{Name()} {Name()}";

    public string Hex(int bytes)
    {
        var buffer = new byte[bytes];
        Random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    public string Base64(int bytes)
    {
        var buffer = new byte[bytes];
        Random.NextBytes(buffer);
        return Convert.ToBase64String(buffer).TrimEnd('=');
    }

    private void AppendSentence()
    {
        // Appending through the builder's interpolation handler avoids a string per sentence,
        // which matters at millions of rows.
        var start = _builder.Length;
        _ = Random.Next(8) switch
        {
            0 => _builder.Append(Invariant, $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} {Pick(Times)}."),
            1 => _builder.Append(Invariant, $"{Pick(Subjects)} felt {Pick(Feelings)} {Pick(Connectors)} " +
                $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)}."),
            2 => _builder.Append(Invariant, $"{Pick(Times)}, {Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} " +
                $"for {Random.Next(2, 95)} minutes."),
            3 => _builder.Append(Invariant, $"{Name()} {Pick(Verbs)} {Pick(Objects)} " +
                $"at {Name()} {Pick(PlaceKinds)}."),
            4 => _builder.Append(Invariant, $"Rated feeling {Pick(Feelings)} {Random.Next(1, 11)}/10 " +
                $"{Pick(Times)}; tried {Pick(Techniques)}."),
            5 => _builder.Append(Invariant, $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} with {Name()} " +
                $"{Pick(Connectors)} I felt {Pick(Feelings)}."),
            6 => _builder.Append(Invariant, $"Slept {Random.Next(6, 20) / 2.0:0.#} hours, " +
                $"woke {Random.Next(0, 5)} times and {Pick(Verbs)} {Pick(Objects)}."),
            _ => _builder.Append(Invariant, $"{Pick(Subjects)} said {Name()} {Pick(Verbs)} {Pick(Objects)} " +
                $"near {Name()} {Pick(PlaceKinds)} {Pick(Times)}."),
        };
        _builder[start] = char.ToUpperInvariant(_builder[start]);
    }
}
