using Cronos;
using Microsoft.Extensions.Options;

namespace Haven.Hosting;

/// <summary>
/// Checks <see cref="HavenOptions"/> when the host starts, so that a wrong path, a missing secret or
/// a bad cron expression stops the app at once with a message that says what to change, instead of
/// surfacing hours later as a missing backup.
/// </summary>
internal sealed class HavenOptionsValidator : IValidateOptions<HavenOptions>
{
    public ValidateOptionsResult Validate(string? name, HavenOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Repository))
        {
            failures.Add(
                "Haven:Repository is not set: give the repository folder (environment variable Haven__Repository).");
        }

        ValidateSecret(options, failures);
        ValidateSources(options, failures);
        ValidateCron("Haven:Schedule", options.Schedule.Cron, options.Schedule.TimeZone, failures);
        ValidateCron("Haven:Drill", options.Drill.Cron, options.Drill.TimeZone, failures);
        ValidateDurations(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSecret(HavenOptions options, List<string> failures)
    {
        if (options.SecretProvider is not null)
        {
            return;
        }

        if (!string.IsNullOrEmpty(options.KeyFile))
        {
            if (!File.Exists(options.KeyFile))
            {
                failures.Add($"Haven:KeyFile '{options.KeyFile}' does not exist.");
            }

            return;
        }

        if (!string.IsNullOrEmpty(options.PassphraseFile))
        {
            if (!File.Exists(options.PassphraseFile))
            {
                failures.Add($"Haven:PassphraseFile '{options.PassphraseFile}' does not exist.");
            }

            return;
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(options.PassphraseVariable)))
        {
            failures.Add(
                $"No secret for the Haven repository: set Haven:PassphraseFile or Haven:KeyFile, " +
                $"the {options.PassphraseVariable} environment variable, or a SecretProvider in code.");
        }
    }

    private static void ValidateSources(HavenOptions options, List<string> failures)
    {
        if (options.Sources.Count == 0)
        {
            failures.Add(
                "Haven:Sources is empty: name at least one source, e.g. Haven:Sources:0:Kind=sqlite "
                + "and Haven:Sources:0:Path=/srv/app/therapy.db.");
        }

        for (int i = 0; i < options.Sources.Count; i++)
        {
            ValidateSource($"Haven:Sources:{i}", options.Sources[i], failures);
        }
    }

    private static void ValidateSource(string key, HavenSourceOptions source, List<string> failures)
    {
        string? kind = source.Kind?.Trim().ToLowerInvariant();
        switch (kind)
        {
            case SourceKinds.Sqlite when string.IsNullOrWhiteSpace(source.Path):
                failures.Add($"{key}:Path is not set: a sqlite source needs the database file's path.");
                break;
            case SourceKinds.Sqlite:
                break;
            case SourceKinds.Files:
                failures.Add(
                    $"{key}: kind 'files' is not supported by Haven.Hosting yet; "
                    + "only 'sqlite' sources can be backed up in this version.");
                break;
            case SourceKinds.Postgres:
                // The connection string is never echoed: it may hold a password.
                failures.Add(
                    $"{key}: kind 'postgres' is not supported by Haven.Hosting yet; "
                    + "only 'sqlite' sources can be backed up in this version.");
                break;
            default:
                failures.Add(
                    $"{key}:Kind is '{source.Kind}'; it must be one of: {string.Join(", ", SourceKinds.All)}.");
                break;
        }
    }

    private static void ValidateCron(string key, string? cron, string timeZone, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            return;
        }

        try
        {
            BackupSchedule.Parse(cron, timeZone);
        }
        catch (CronFormatException e)
        {
            failures.Add($"{key}:Cron '{cron}' is not a valid cron expression: {e.Message}");
        }
        catch (TimeZoneNotFoundException)
        {
            failures.Add(
                $"{key}:TimeZone '{timeZone}' is not a known time zone; use an IANA id such as Europe/London.");
        }
    }

    private static void ValidateDurations(HavenOptions options, List<string> failures)
    {
        if (options.CriticalOperations.CoalesceWindow < TimeSpan.Zero)
        {
            failures.Add("Haven:CriticalOperations:CoalesceWindow must not be negative.");
        }

        if (options.Health.BackupMaxAge <= TimeSpan.Zero)
        {
            failures.Add("Haven:Health:BackupMaxAge must be positive.");
        }

        if (options.BusyRetryAttempts < 1 || options.BusyRetryDelay < TimeSpan.Zero)
        {
            failures.Add("Haven:BusyRetryAttempts must be at least 1 and Haven:BusyRetryDelay must not be negative.");
        }
    }
}
