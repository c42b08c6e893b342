using System.CommandLine;
using System.Text;
using System.Text.Json;
using Haven.Core;
using Haven.Core.Crypto;
using Haven.Core.Repository;

namespace Haven.Cli;

/// <summary>
/// What every command needs: where the repository is, how to get the secret, where to write.
/// Secrets come from --key-file / HAVEN_KEY_FILE, HAVEN_PASSPHRASE, HAVEN_PASSPHRASE_FILE, or a
/// prompt on a terminal, in that order; never from a command-line argument.
/// </summary>
internal sealed class CliContext(ParseResult parse, TextWriter output, TextWriter error)
{
    /// <summary>JSON for terminals and scripts: names and text as they are (not \uXXXX escapes).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public ParseResult Parse { get; } = parse;

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public bool Verbose => Parse.GetValue(GlobalOptions.Verbose);

    /// <summary>Cancelled by Ctrl-C or SIGTERM.</summary>
#pragma warning disable CA1822 // One context per command; the signal is the process's.
    public CancellationToken Cancellation => HavenCli.Stopping;
#pragma warning restore CA1822

    public string RepositoryPath
    {
        get
        {
            string? path = Parse.GetValue(GlobalOptions.Repository)
                ?? Environment.GetEnvironmentVariable("HAVEN_REPOSITORY");
            return string.IsNullOrWhiteSpace(path)
                ? throw new UsageException("No repository given.", "Pass --repo DIR or set HAVEN_REPOSITORY.")
                : path;
        }
    }

    public string? KeyFilePath =>
        Parse.GetValue(GlobalOptions.KeyFile) is { Length: > 0 } option ? option
        : Environment.GetEnvironmentVariable("HAVEN_KEY_FILE") is { Length: > 0 } variable ? variable
        : null;

    /// <summary>The secret that opens the repository.</summary>
    public Secret ReadSecret()
    {
        if (KeyFilePath is { } keyFile)
        {
            return Secret.FromKeyFile(keyFile);
        }

        return ReadPassphrase("HAVEN_PASSPHRASE", "HAVEN_PASSPHRASE_FILE", "Passphrase: ", confirm: false)
            ?? throw new UsageException(
                "No passphrase or key file was given, and there is no terminal to ask on.",
                "Set HAVEN_PASSPHRASE or HAVEN_PASSPHRASE_FILE, or pass --key-file FILE.");
    }

    /// <summary>A passphrase from an environment variable, a file named by one, or the terminal.</summary>
    public Secret? ReadPassphrase(string variable, string fileVariable, string prompt, bool confirm)
    {
        if (Environment.GetEnvironmentVariable(variable) is { } value)
        {
            return value.Length > 0
                ? Secret.FromPassphrase(value)
                : throw new UsageException(
                    $"{variable} is set but empty.",
                    $"Set {variable} to the passphrase, or unset it.");
        }

        if (Environment.GetEnvironmentVariable(fileVariable) is { Length: > 0 } file)
        {
            return Secret.FromPassphrase(ReadPassphraseFile(file, fileVariable));
        }

        if (Console.IsInputRedirected || Console.IsErrorRedirected)
        {
            return null;
        }

        string first = Prompt(prompt);
        if (confirm && Prompt("Repeat: ") != first)
        {
            throw new UsageException("The two passphrases differ.", "Run the command again.");
        }

        return Secret.FromPassphrase(first);
    }

    private static string ReadPassphraseFile(string path, string variable)
    {
        if (Directory.Exists(path))
        {
            throw new UsageException($"The passphrase file '{path}' (from {variable}) is a folder, not a file.");
        }

        try
        {
            string text = File.ReadAllText(path, Encoding.UTF8);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
                : text.EndsWith('\n') ? text[..^1]
                : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"The passphrase file '{path}' (from {variable}) cannot be read: {e.Message}");
        }
    }

    private string Prompt(string prompt)
    {
        Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace && text.Length > 0)
            {
                text.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    /// <summary>Opens the repository with the secret.</summary>
    public LocalRepository OpenRepository()
    {
        string path = RepositoryPath;
        using var secret = ReadSecret();
        return LocalRepository.Open(path, secret, logger: Logger);
    }

    public Microsoft.Extensions.Logging.ILogger Logger => new StderrLogger(Error);

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public TerminalProgress Progress(string label) =>
        new(Error, label, !Console.IsErrorRedirected && ReferenceEquals(Error, Console.Error));
}
