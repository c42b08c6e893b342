using Haven.Core.Crypto;
using Haven.Core.Repository;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Crypto;

public class KeySlotTests
{
    [Fact]
    public void Passphrase_composed_and_decomposed_accents_open_the_same_slot()
    {
        using var folder = new TempFolder();
        string composed = "Caf\u00e9 \"quoted\" $HOME `cmd` spaces";
        string decomposed = "Cafe\u0301 \"quoted\" $HOME `cmd` spaces";
        Assert.NotEqual(composed, decomposed);

        using (var secret = Secret.FromPassphrase(composed))
        using (LocalRepository.Init(folder.File("repo"), secret))
        {
        }

        using var other = Secret.FromPassphrase(decomposed);
        using var repository = LocalRepository.Open(folder.File("repo"), other);
        Assert.Single(repository.KeySlots());
    }

    [Fact]
    public void Wrong_passphrase_is_refused_as_a_wrong_key()
    {
        using var folder = new TempFolder();
        using (var secret = Secret.FromPassphrase("correct horse"))
        using (LocalRepository.Init(folder.File("repo"), secret))
        {
        }

        using var wrong = Secret.FromPassphrase("correct horsE");
        var error = Assert.Throws<WrongKeyException>(() => LocalRepository.Open(folder.File("repo"), wrong));
        Assert.Equal(ExitCodes.WrongKey, error.ExitCode);
        Assert.DoesNotContain("horse", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Passphrase_slot_stores_argon2id_parameters_of_at_least_64_MiB()
    {
        using var folder = new TempFolder();
        using var secret = Secret.FromPassphrase("pass phrase");
        using var repository = LocalRepository.Init(folder.File("repo"), secret);
        var slot = Assert.Single(repository.KeySlots());
        Assert.Equal("argon2id", slot.Kdf);
        Assert.True(slot.MemoryKiB >= 64 * 1024);
        Assert.True(slot.Iterations >= 1);
        Assert.Equal(16, Convert.FromBase64String(slot.Salt).Length);
    }

    [Fact]
    public void Added_key_file_slot_opens_the_repository_and_the_first_slot_still_works()
    {
        using var folder = new TempFolder();
        using (var repository = Fixtures.NewRepository(folder))
        using (var second = Secret.FromPassphrase("second secret"))
        {
            repository.AddKeySlot(second);
        }

        using (var byPassphrase = Secret.FromPassphrase("second secret"))
        using (var opened = LocalRepository.Open(folder.File("repo"), byPassphrase))
        {
            Assert.Equal(2, opened.KeySlots().Count);
        }

        using var reopened = Fixtures.Reopen(folder);
        Assert.Equal(2, reopened.KeySlots().Count);
    }

    [Fact]
    public void Removing_the_last_slot_is_refused()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string id = repository.KeySlots()[0].Id;
        Assert.Throws<UsageException>(() => repository.RemoveKeySlot(id));
        Assert.True(File.Exists(Path.Combine(repository.Root, "keys", id)));
    }

    [Fact]
    public void A_damaged_key_slot_is_reported_as_damage_not_as_a_wrong_key()
    {
        using var folder = new TempFolder();
        string slotPath;
        using (var repository = Fixtures.NewRepository(folder))
        {
            slotPath = Path.Combine(repository.Root, "keys", repository.KeySlots()[0].Id);
        }

        byte[] content = File.ReadAllBytes(slotPath);
        content[content.Length - 20] ^= 0x01;
        File.WriteAllBytes(slotPath, content);

        var error = Assert.Throws<IntegrityException>(() => Fixtures.Reopen(folder));
        Assert.Contains(slotPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_or_short_key_files_are_named_in_the_error()
    {
        using var folder = new TempFolder();
        var missing = Assert.Throws<UsageException>(() => Secret.FromKeyFile(folder.File("nope.key")));
        Assert.Contains("nope.key", missing.Message, StringComparison.Ordinal);

        File.WriteAllBytes(folder.File("short.key"), new byte[8]);
        var tooShort = Assert.Throws<UsageException>(() => Secret.FromKeyFile(folder.File("short.key")));
        Assert.Contains("short.key", tooShort.Message, StringComparison.Ordinal);
    }
}
