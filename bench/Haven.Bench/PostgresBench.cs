using System.Globalization;
using System.Text;
using Npgsql;

namespace Haven.Bench;

/// <summary>
/// The PostgreSQL cases: one generated database of therapy notes, backed up by Haven and by the
/// ways people do it today (pg_dump piped into restic or borg, and pg_dump's own compressed
/// archive encrypted with age), first in full, after 1% of rows are updated, and unchanged; then
/// each tool's latest backup restored into a new database with pg_restore.
/// </summary>
internal static class PostgresBench
{
    private const string Source = "haven_bench_source";
    private const string Target = "haven_bench_restored";

    public static readonly string[] Cases =
    [
        "first full backup",
        "after 1% random updates",
        "unchanged database",
        "restore latest",
    ];

    public static (List<Tool> Tools, List<Measurement> Results, string Description) Run(Options options)
    {
        var admin = new NpgsqlConnectionStringBuilder(options.Postgres!) { Database = "postgres", Pooling = false };
        string url = $"postgres://{admin.Username}@{admin.Host}:{admin.Port}";
        var environment = new Dictionary<string, string> { ["PGPASSWORD"] = admin.Password ?? "" };
        Generate(admin, options.PostgresSizeMiB);
        var tools = new List<Tool>
        {
            new HavenPostgres(options.Work, options.HavenDll, environment),
            new DumpPipe("pg_dump|restic", options.Work, environment,
                (repo, n) => $"restic -r '{repo}' backup -q --stdin --stdin-filename clinic.dump",
                (repo, n) => $"restic -r '{repo}' dump latest clinic.dump",
                repo => $"restic -r '{repo}' init",
                "pg_dump -Fc -Z0 | restic backup --stdin; restic dump latest | pg_restore"),
            new DumpPipe("pg_dump|borg", options.Work, environment,
                (repo, n) => $"borg create '{repo}::b{n}' -",
                (repo, n) => $"borg extract --stdout '{repo}::b{n}'",
                repo => $"borg init -e repokey-blake2 '{repo}'",
                "pg_dump -Fc -Z0 | borg create REPO::N -; borg extract --stdout | pg_restore"),
            new DumpPipe("pg_dump+age", options.Work, environment,
                (repo, n) => $"age -r \"$(age-keygen -y '{repo}.key')\" -o '{repo}/b{n}.age'",
                (repo, n) => $"age -d -i '{repo}.key' '{repo}/b{n}.age'",
                repo => $"mkdir -p '{repo}' && rm -f '{repo}.key' && age-keygen -o '{repo}.key' 2>/dev/null",
                "pg_dump -Fc (its own gzip compression) | age -r KEY; age -d | pg_restore",
                compress: true),
        };
        var results = new List<Measurement>();
        for (int run = 0; run < options.Runs; run++)
        {
            var order = tools.Skip(run % tools.Count).Concat(tools.Take(run % tools.Count)).ToList();
            Execute(admin, $"DROP DATABASE IF EXISTS {Source}_run WITH (FORCE)");
            Execute(admin, $"CREATE DATABASE {Source}_run TEMPLATE {Source}");
            foreach (var tool in order)
            {
                tool.Init();
            }

            string database = $"{url}/{Source}_run";
            results.AddRange(Runner.Case("first full backup", 1, run, order, database));
            Execute(
                new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = Source + "_run" },
                $"SELECT setseed({(run + 1) / 10.0}); UPDATE therapy_notes SET body = body || ' (amended)' " +
                "WHERE id IN (SELECT id FROM therapy_notes ORDER BY random() LIMIT " +
                "(SELECT count(*) / 100 FROM therapy_notes))");
            results.AddRange(Runner.Case("after 1% random updates", 2, run, order, database));
            results.AddRange(Runner.Case("unchanged database", 3, run, order, database));
            foreach (var tool in order)
            {
                Execute(admin, $"DROP DATABASE IF EXISTS {Target} WITH (FORCE)");
                var (seconds, rss) = Shell.Timed(tool.RestoreCommand($"{url}/{Target}", 3), tool.Environment);
                results.Add(new Measurement(tool.Name, "restore latest", run, seconds, 0, rss));
                Console.Error.WriteLine($"run {run + 1} postgres restore latest {tool.Name}: {seconds:F2} s");
            }
        }

        Execute(admin, $"DROP DATABASE IF EXISTS {Target} WITH (FORCE)");
        Execute(admin, $"DROP DATABASE IF EXISTS {Source}_run WITH (FORCE)");
        string version = Shell.Output("pg_dump --version");
        return (tools, results, $"PostgreSQL database of {options.PostgresSizeMiB} MiB; {version}");
    }

    /// <summary>Therapy notes of about 440 bytes a row, hex text that compresses about 2:1.</summary>
    private static void Generate(NpgsqlConnectionStringBuilder admin, int sizeMiB)
    {
        using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            connection.Open();
            using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{Source}'", connection);
            if (exists.ExecuteScalar() is not null)
            {
                return;
            }
        }

        Console.Error.WriteLine($"Generating a {sizeMiB} MiB PostgreSQL database...");
        Execute(admin, $"CREATE DATABASE {Source}");
        long rows = sizeMiB * 1024L * 1024 / 440;
        Execute(
            new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = Source },
            "CREATE TABLE patients (id int PRIMARY KEY, pseudonym text NOT NULL, born date NOT NULL);" +
            "INSERT INTO patients SELECT g, 'P-' || lpad(g::text, 6, '0'), date '1950-01-01' + (g % 20000) " +
            "FROM generate_series(1, 5000) g;" +
            "CREATE TABLE therapy_notes (id bigint PRIMARY KEY, patient_id int NOT NULL REFERENCES patients, " +
            "written_at timestamptz NOT NULL, body text NOT NULL);" +
            "INSERT INTO therapy_notes SELECT g, 1 + g % 5000, timestamptz '2024-01-01' + g * interval '37 seconds', " +
            "concat_ws(' ', md5(g::text), md5((g + 1)::text), md5((g * 3)::text), md5((g * 7)::text), " +
            "md5((g * 11)::text), md5((g * 13)::text), md5((g * 17)::text), md5((g * 19)::text), " +
            "md5((g * 23)::text), md5((g * 29)::text)) " +
            $"FROM generate_series(1, {rows}) g");
        Execute(new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = Source }, "VACUUM ANALYZE");
    }

    private static void Execute(NpgsqlConnectionStringBuilder where, string sql)
    {
        using var connection = new NpgsqlConnection(where.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 3600 };
        command.ExecuteNonQuery();
    }

    /// <summary>A whole document for a run of the PostgreSQL cases alone.</summary>
    public static string Document(Options options, List<Tool> tools, List<Measurement> results, string description)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks: PostgreSQL");
        md.AppendLine();
        string runs = options.Runs.ToString(CultureInfo.InvariantCulture);
        string size = options.PostgresSizeMiB.ToString(CultureInfo.InvariantCulture);
        md.AppendLine(
            "Measured " + DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + " (UTC) on this " +
            $"project's 2-core benchmark machine, {runs} runs per case, tools in a different order each run; " +
            "figures are medians. The SQLite cases are in [benchmarks.md](benchmarks.md). Reproduce with:");
        md.AppendLine();
        md.AppendLine("```sh");
        md.AppendLine(
            "bash bench/run.sh --postgres 'Host=127.0.0.1;Username=postgres;Password=...' --pg-size-mib " +
            $"{size} --runs {runs} --postgres-only --out docs/benchmarks-postgres.md");
        md.AppendLine("```");
        md.AppendLine();
        md.Append(Section(tools, results, description).Replace("## PostgreSQL\n", "", StringComparison.Ordinal));
        string notes = Path.Combine(AppContext.BaseDirectory, "notes-postgres.md");
        if (File.Exists(notes))
        {
            md.Append(File.ReadAllText(notes));
        }

        return md.ToString();
    }

    /// <summary>The markdown section for the PostgreSQL cases.</summary>
    public static string Section(List<Tool> tools, List<Measurement> results, string description)
    {
        var md = new StringBuilder();
        md.AppendLine("## PostgreSQL");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A generated {description}. Tools as run:");
        md.AppendLine();
        foreach (var tool in tools)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{tool.Name}**: {tool.Describe}");
        }

        md.AppendLine();
        foreach (string name in Cases)
        {
            Report.Table(md, name, tools, results, level: "###");
        }

        return md.ToString();
    }

    private sealed class HavenPostgres(string work, string havenDll, Dictionary<string, string> environment)
        : HavenBase("haven-pg", work, environment)
    {
        public override string Describe =>
            "haven backup postgres (pg_dump -Fc -Z0 on an exported snapshot, content-defined chunks); haven restore " +
            "latest --to-postgres (pg_restore into a side database, row counts and large objects verified, rename)";

        protected override string HavenDll => havenDll;

        public override string BackupCommand(string database, int sequence) =>
            $"dotnet '{havenDll}' backup postgres --connection '{database}' >/dev/null 2>&1";

        public override string RestoreCommand(string target, int sequence) =>
            $"dotnet '{havenDll}' restore latest --to-postgres '{target}' >/dev/null 2>&1";
    }

    /// <summary>pg_dump piped into another tool, and that tool's output piped into pg_restore.</summary>
    private sealed class DumpPipe(
        string name,
        string work,
        Dictionary<string, string> environment,
        Func<string, int, string> store,
        Func<string, int, string> load,
        Func<string, string> init,
        string describe,
        bool compress = false)
        : Tool(name, work)
    {
        public override string Describe => describe;

        public override IDictionary<string, string> Environment => new Dictionary<string, string>(environment)
        {
            ["RESTIC_PASSWORD"] = "bench-only-passphrase",
            ["BORG_PASSPHRASE"] = "bench-only-passphrase",
            ["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "yes",
            ["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes",
        };

        public override void Init()
        {
            base.Init();
            Shell.Run("sh", ["-c", init(Repository)], Environment);
        }

        public override string BackupCommand(string database, int sequence) =>
            $"pg_dump -Fc {(compress ? "" : "-Z0 ")}-d '{database}' | " +
            store(Repository, sequence);

        public override string RestoreCommand(string target, int sequence)
        {
            string server = target[..target.LastIndexOf('/')];
            string database = target[(target.LastIndexOf('/') + 1)..];
            return $"createdb --maintenance-db='{server}/postgres' '{database}' && {load(Repository, sequence)} | " +
                $"pg_restore --exit-on-error -d '{target}'";
        }
    }
}
