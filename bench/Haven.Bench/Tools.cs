namespace Haven.Bench;

/// <summary>A backup tool under test: how to prepare a repository, back up, and restore.</summary>
internal abstract class Tool(string name, string work)
{
    public string Name { get; } = name;

    protected string Work { get; } = work;

    protected string Repository => Path.Combine(Work, "repo-" + Name);

    public abstract string Describe { get; }

    public virtual void Init()
    {
        if (Directory.Exists(Repository))
        {
            Directory.Delete(Repository, recursive: true);
        }
    }

    /// <summary>Backs up <paramref name="database"/>; returns the shell command that was timed.</summary>
    public abstract string BackupCommand(string database, int sequence);

    public abstract string RestoreCommand(string target, int sequence);

    public virtual IDictionary<string, string> Environment => new Dictionary<string, string>();

    public long RepositoryBytes() => Shell.FolderBytes(Repository);
}

/// <summary>Haven itself: a repository with a fresh key file per run, plus any variables the case needs.</summary>
internal abstract class HavenBase(string name, string work, IDictionary<string, string>? environment = null)
    : Tool(name, work)
{
    public override IDictionary<string, string> Environment =>
        new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["HAVEN_REPOSITORY"] = Repository,
            ["HAVEN_KEY_FILE"] = Path.Combine(Work, $"{Name}.key"),
        };

    protected abstract string HavenDll { get; }

    public override void Init()
    {
        base.Init();
        File.Delete(Path.Combine(Work, $"{Name}.key"));
        Shell.Run("dotnet", [HavenDll, "init"], Environment);
    }
}

internal sealed class HavenTool(string work, string havenDll, bool checkSource)
    : HavenBase(checkSource ? "haven" : "haven-nocheck", work)
{
    public override string Describe =>
        $"haven backup sqlite DB{(checkSource ? "" : " --no-check-source")}; haven restore latest " +
        $"--to PATH (verifies chunks, digest, quick_check, row counts)";

    protected override string HavenDll => havenDll;

    public override string BackupCommand(string database, int sequence) =>
        $"dotnet '{havenDll}' backup sqlite '{database}'{(checkSource ? "" : " --no-check-source")} >/dev/null 2>&1";

    public override string RestoreCommand(string target, int sequence) =>
        $"dotnet '{havenDll}' restore latest --to '{target}' >/dev/null 2>&1";
}

internal sealed class ResticTool(string work) : Tool("restic", work)
{
    public override string Describe =>
        "restic 0.14 backup FILE (default settings: zstd auto, content-defined chunks); restic restore latest";

    public override IDictionary<string, string> Environment =>
        new Dictionary<string, string> { ["RESTIC_PASSWORD"] = "bench-only-passphrase" };

    public override void Init()
    {
        base.Init();
        Shell.Run("restic", ["-r", Repository, "init"], Environment);
    }

    public override string BackupCommand(string database, int sequence) =>
        $"restic -r '{Repository}' backup -q '{database}'";

    public override string RestoreCommand(string target, int sequence) =>
        $"restic -r '{Repository}' restore -q latest --target '{target}.d' && find " +
        $"'{target}.d' -type f -exec mv {{}} '{target}' \\; && rm -rf '{target}.d'";
}

internal sealed class BorgTool(string work) : Tool("borg", work)
{
    public override string Describe =>
        "borg 1.2 create REPO::N FILE (default settings: lz4, buzhash chunks); borg extract";

    public override IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["BORG_PASSPHRASE"] = "bench-only-passphrase",
        ["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "yes",
        ["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes",
    };

    public override void Init()
    {
        base.Init();
        Shell.Run("borg", ["init", "-e", "repokey-blake2", Repository], Environment);
    }

    public override string BackupCommand(string database, int sequence) =>
        $"borg create '{Repository}::b{sequence}' '{database}'";

    public override string RestoreCommand(string target, int sequence) =>
        $"mkdir -p '{target}.d' && cd '{target}.d' && borg extract '{Repository}::b{sequence}' && find " +
        $". -type f -exec mv {{}} '{target}' \\; && cd / && rm -rf '{target}.d'";
}

internal sealed class PipelineTool(string work) : Tool("sqlite3+zstd+age", work)
{
    public override string Describe =>
        "sqlite3 DB '.backup T' && zstd -3 -T2 T && age -r KEY (a full encrypted copy each time); age -d | zstd -d";

    private string Key => Path.Combine(Work, "age.key");

    public override void Init()
    {
        base.Init();
        Directory.CreateDirectory(Repository);
        if (!File.Exists(Key))
        {
            Shell.Run("age-keygen", ["-o", Key]);
        }
    }

    private string Recipient => Shell.Output($"age-keygen -y '{Key}'");

    public override string BackupCommand(string database, int sequence)
    {
        string temp = Path.Combine(Work, "pipeline.tmp");
        string output = Path.Combine(Repository, $"b{sequence}.db.zst.age");
        return $"rm -f '{temp}' && sqlite3 '{database}' \".backup '{temp}'\" && zstd -q -3 -T2 -c " +
            $"'{temp}' | age -r {Recipient} -o '{output}' && rm -f '{temp}'";
    }

    public override string RestoreCommand(string target, int sequence) =>
        $"age -d -i '{Key}' '{Path.Combine(Repository, $"b{sequence}.db.zst.age")}' | zstd -q -d -T2 -o '{target}'";
}
