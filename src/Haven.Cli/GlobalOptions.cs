using System.CommandLine;

namespace Haven.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Repository = new("--repo")
    {
        Description = "Repository folder (or set HAVEN_REPOSITORY).",
        Recursive = true,
    };

    public static readonly Option<string?> KeyFile = new("--key-file")
    {
        Description = "Key file that opens the repository (or set HAVEN_KEY_FILE); default: a passphrase.",
        Recursive = true,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Settings file (default: haven.json beside the repository folder).",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print details, including the full error on failure.",
        Recursive = true,
    };
}
