using System.Globalization;

namespace Haven.Synthetic;

/// <summary>The host app stores times as UTC ISO 8601 text with a trailing Z.</summary>
internal static class Timestamps
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>First instant of generated activity, fixed so output depends only on the seed.</summary>
    public static readonly DateTime Epoch = new(2023, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string ToText(DateTime utc) => utc.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTime Parse(string text) =>
        DateTime.ParseExact(text, Format, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
