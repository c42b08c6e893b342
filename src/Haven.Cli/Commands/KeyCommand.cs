using System.CommandLine;
using Haven.Core;
using Haven.Core.Crypto;

namespace Haven.Cli.Commands;

/// <summary><c>haven key add|list|remove</c>: key slots, without touching the data.</summary>
internal static class KeyCommand
{
    public static Command Create()
    {
        var key = new Command("key", "Manage key slots (passphrases and key files that open the repository).");
        key.Subcommands.Add(Add());
        key.Subcommands.Add(List());
        key.Subcommands.Add(Remove());
        return key;
    }

    private static Command Add()
    {
        var newKeyFile = new Option<string?>("--new-key-file")
        {
            Description = "Add a slot for this key file (generated if missing)."
        };
        var add = new Command(
            "add",
            "Add a key slot. The new passphrase comes from " +
            "HAVEN_NEW_PASSPHRASE, HAVEN_NEW_PASSPHRASE_FILE or a prompt.")
        {
            newKeyFile
        };
        add.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            using var repositoryLock = repository.Lock("key add");
            string? keyFile = context.Parse.GetValue(newKeyFile);
            using var secret = keyFile is not null
                ? (File.Exists(keyFile) ? Secret.FromKeyFile(keyFile) : Secret.CreateKeyFile(keyFile))
                : context.ReadPassphrase(
                    "HAVEN_NEW_PASSPHRASE",
                    "HAVEN_NEW_PASSPHRASE_FILE",
                    "New passphrase: ",
                    confirm: true)
                  ?? throw new UsageException(
                      "No new passphrase or key file was given.",
                      "Pass --new-key-file FILE or set HAVEN_NEW_PASSPHRASE.");
            var slot = repository.AddKeySlot(secret);
            context.Out.WriteLine($"Added key slot {slot}");
            context.Out.WriteLine(slot.Id);
            return ExitCodes.Ok;
        }));
        return add;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array." };
        var list = new Command("list", "List key slots.") { json };
        list.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            var slots = repository.KeySlots();
            if (context.Parse.GetValue(json))
            {
                context.WriteJson(
                    slots.Select(
                        s => new
                        {
                            s.Id,
                            s.Kind,
                            s.Created,
                            s.Kdf,
                            s.MemoryKiB,
                            s.Iterations,
                            s.Parallelism,
                            unlocked = s.Id == repository.UnlockedSlot
                        }));
                return ExitCodes.Ok;
            }

            foreach (var slot in slots)
            {
                context.Out.WriteLine($"{slot}{(slot.Id == repository.UnlockedSlot ? "  (opened this session)" : "")}");
            }

            return ExitCodes.Ok;
        }));
        return list;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("SLOT") { Description = "Id of the key slot to remove." };
        var remove = new Command("remove", "Remove a key slot (never the last one).") { id };
        remove.SetAction(HavenCli.Action(context =>
        {
            using var repository = context.OpenRepository();
            using var repositoryLock = repository.Lock("key remove");
            repository.RemoveKeySlot(context.Parse.GetValue(id)!);
            context.Out.WriteLine($"Removed key slot {context.Parse.GetValue(id)}");
            return ExitCodes.Ok;
        }));
        return remove;
    }
}
