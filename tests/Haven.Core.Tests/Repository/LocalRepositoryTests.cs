using System.Diagnostics;
using System.Text;
using Haven.Core.Repository;
using Haven.Core.Tests.Support;

namespace Haven.Core.Tests.Repository;

public class LocalRepositoryTests
{
    [Fact]
    public void Init_refuses_a_folder_that_is_not_empty()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("repo"));
        File.WriteAllText(folder.File("repo/notes.txt"), "keep me");
        Assert.Throws<UsageException>(() => Fixtures.NewRepository(folder));
        Assert.Equal("keep me", File.ReadAllText(folder.File("repo/notes.txt")));
    }

    [Fact]
    public void Open_without_a_repository_says_so()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("k.key"), new byte[64]);
        using var secret = Haven.Core.Crypto.Secret.FromKeyFile(folder.File("k.key"));
        var error = Assert.Throws<UsageException>(() => LocalRepository.Open(folder.File("missing"), secret));
        Assert.Contains("no Haven repository", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_format_is_refused_and_left_unchanged()
    {
        using var folder = new TempFolder();
        Fixtures.NewRepository(folder).Dispose();
        string config = folder.File("repo/config");
        string body = "{\"format\":2,\"id\":\"abc\"}";
        File.WriteAllBytes(config, ChecksummedFile.Encode("haven-repository", body));
        byte[] before = File.ReadAllBytes(config);

        var error = Assert.Throws<HavenException>(() => Fixtures.Reopen(folder));
        Assert.Contains("format 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(config));
    }

    [Fact]
    public void Only_the_format_and_key_slot_parameters_are_in_the_clear()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string config = Encoding.UTF8.GetString(File.ReadAllBytes(folder.File("repo/config")));
        Assert.Contains("\"format\":1", config, StringComparison.Ordinal);
        string slot = Encoding.UTF8.GetString(
            File.ReadAllBytes(Path.Combine(repository.Root, "keys", repository.UnlockedSlot)));
        Assert.Contains("wrappedKey", slot, StringComparison.Ordinal);
        Assert.DoesNotContain("master", slot, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_second_writer_is_told_who_holds_the_lock()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var held = repository.Lock("backup clinic.db");
        var error = Assert.Throws<BusyException>(() => repository.Lock("backup other.db"));
        Assert.Equal(ExitCodes.Busy, error.ExitCode);
        Assert.Contains(Environment.MachineName, error.Message, StringComparison.Ordinal);
        Assert.Contains($"pid {Environment.ProcessId}", error.Message, StringComparison.Ordinal);
        Assert.Contains("backup clinic.db", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_left_by_a_dead_process_is_broken_and_reported()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        string lockJson = $"{{\"host\":\"{Environment.MachineName}\",\"pid\":{finished.Id},\"since\":\"2026-01-01T00:" +
            $"00:00Z\",\"operation\":\"backup\"}}";
        File.WriteAllText(Path.Combine(repository.Root, "lock"), lockJson);
        File.WriteAllText(Path.Combine(repository.Root, "tmp", ".pack.1.tmp"), "left by a crash");

        using var taken = repository.Lock("backup");
        Assert.NotNull(taken.BrokeStaleLock);
        Assert.Contains($"pid {finished.Id}", taken.BrokeStaleLock, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(repository.Root, "tmp")));
    }

    [Fact]
    public void A_stale_lock_found_by_many_at_once_is_broken_by_exactly_one()
    {
        using var folder = new TempFolder();
        string lockPath = Path.Combine(folder.Path, "lock");
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        string stale = $"{{\"host\":\"{Environment.MachineName}\",\"pid\":{finished.Id}," +
            "\"since\":\"2026-01-01T00:00:00Z\",\"operation\":\"backup\"}";
        for (int round = 0; round < 20; round++)
        {
            File.WriteAllText(lockPath, stale);
            using var start = new Barrier(6);
            var takers = Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    try
                    {
                        return RepositoryLock.Acquire(lockPath, "backup", TimeProvider.System);
                    }
                    catch (BusyException)
                    {
                        return null;
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            var taken = takers.Select(t => t.Result).Where(l => l is not null).ToList();

            // Each taker runs in this process, so the one that took the lock looks alive to the others.
            Assert.Single(taken);
            Assert.NotNull(taken[0]!.BrokeStaleLock);
            taken[0]!.Dispose();
        }
    }

    [Fact]
    public void A_lock_from_another_host_is_never_broken()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        File.WriteAllText(
            Path.Combine(repository.Root, "lock"),
            "{\"host\":\"other-host\",\"pid\":1,\"since\":\"2026-01-01T00:00:00Z\",\"operation\":\"backup\"}");
        var error = Assert.Throws<BusyException>(() => repository.Lock("backup"));
        Assert.Contains("other-host pid 1 since 2026-01-01T00:00:00Z", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_whose_pid_now_belongs_to_a_newer_process_is_stale()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        using var newer = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            File.WriteAllText(
                Path.Combine(repository.Root, "lock"),
                $"{{\"host\":\"{Environment.MachineName}\",\"pid\":{newer.Id},\"since\":\"2020-01-01T00:00:00Z\",\"op" +
                $"eration\":\"backup\"}}");
            using var taken = repository.Lock("backup");
            Assert.NotNull(taken.BrokeStaleLock);
        }
        finally
        {
            newer.Kill();
        }
    }

    [Fact]
    public void An_unreadable_lock_is_respected_for_a_minute_then_broken()
    {
        using var folder = new TempFolder();
        using var repository = Fixtures.NewRepository(folder);
        string lockPath = Path.Combine(repository.Root, "lock");
        File.WriteAllBytes(lockPath, []);
        Assert.Throws<BusyException>(() => repository.Lock("backup"));

        File.SetLastWriteTimeUtc(lockPath, DateTime.UtcNow.AddMinutes(-5));
        using var taken = repository.Lock("backup");
        Assert.NotNull(taken.BrokeStaleLock);
    }
}
