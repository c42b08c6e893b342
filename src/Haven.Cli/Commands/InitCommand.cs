using System.CommandLine;
using Haven.Core.Crypto;
using Haven.Core.Repository;

namespace Haven.Cli.Commands;

/// <summary><c>haven init</c>: creates a repository with one key slot.</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var command = new Command(
            "init",
            "Create an encrypted repository. With --key-file, a missing key file is generated (mode 0600).");
        command.SetAction(HavenCli.Action(context =>
        {
            string path = context.RepositoryPath;
            using var secret = NewSecret(context);
            using var repository = LocalRepository.Init(path, secret, logger: context.Logger);
            var slot = repository.KeySlots()[0];
            context.Out.WriteLine($"Created repository {repository.Config.Id} at {repository.Root}");
            context.Out.WriteLine($"Key slot {slot}");
            if (secret.Kind == SecretKind.KeyFile)
            {
                context.Out.WriteLine(
                    $"Keep a copy of the key file '{secret.KeyFilePath}' somewhere safe: " +
                    $"without it (or another slot) the backups cannot be read.");
            }

            return 0;
        }));
        return command;
    }

    private static Secret NewSecret(CliContext context)
    {
        if (context.KeyFilePath is { } keyFile)
        {
            return File.Exists(keyFile) ? Secret.FromKeyFile(keyFile) : Secret.CreateKeyFile(keyFile);
        }

        return context.ReadPassphrase("HAVEN_PASSPHRASE", "HAVEN_PASSPHRASE_FILE", "New passphrase: ", confirm: true)
            ?? throw new Haven.Core.UsageException(
                "No passphrase or key file was given for the new repository, and there is no terminal to ask on.",
                "Set HAVEN_PASSPHRASE or HAVEN_PASSPHRASE_FILE, or pass --key-file FILE.");
    }
}
