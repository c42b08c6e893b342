using System.Text.Json;
using Haven.Core;
using Haven.Core.Configuration;

namespace Haven.Cli;

/// <summary>
/// Loads haven.json: from --config, else beside the repository folder (in its parent folder, never
/// inside it, since smoke queries name tables). A missing default file means default settings.
/// </summary>
internal static class SettingsFile
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static string DefaultPath(string repository) =>
        Path.Combine(
            Path.GetDirectoryName(Path.GetFullPath(repository).TrimEnd(Path.DirectorySeparatorChar))!,
            "haven.json");

    public static HavenSettings Load(CliContext context)
    {
        string? given = context.Parse.GetValue(GlobalOptions.Config);
        string path = given ?? DefaultPath(context.RepositoryPath);
        if (!File.Exists(path))
        {
            return given is null
                ? new HavenSettings()
                : throw new UsageException(
                    $"The configuration file '{path}' does not exist.",
                    "Check the path given with --config.");
        }

        try
        {
            return JsonSerializer.Deserialize<HavenSettings>(File.ReadAllBytes(path), Options) ?? new HavenSettings();
        }
        catch (JsonException e)
        {
            throw new UsageException(
                $"The configuration file '{path}' is not valid: {e.Message}",
                "See the configuration section of the README.");
        }
    }
}
