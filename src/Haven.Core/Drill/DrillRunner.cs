using System.Diagnostics;
using System.Globalization;
using Haven.Core.Audit;
using Haven.Core.Configuration;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Sqlite;
using Microsoft.Data.Sqlite;

namespace Haven.Core.Drill;

/// <summary>
/// A drill: restores a snapshot into a private scratch folder (never the live path), verifies the
/// image digest, integrity_check, foreign_key_check, row counts and the configured smoke queries,
/// measures recovery time, deletes the copy, and records the result in the audit log.
/// </summary>
public static class DrillRunner
{
    /// <summary>Runs a drill of <paramref name="snapshot"/>. Failures are reported in the result, not thrown.</summary>
    public static DrillResult Run(LocalRepository repository, Manifest snapshot, DrillSettings settings)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(settings);
        if (snapshot.Postgres is not null)
        {
            var outcome = PostgresDrill.Run(repository, snapshot, settings);
            var drilled = new DrillResult(
                snapshot.Id,
                snapshot.Source.Path,
                outcome.Failures.Count == 0,
                outcome.Seconds,
                Rpo(repository, snapshot),
                outcome.Checks,
                outcome.Failures);
            Record(repository, drilled);
            return drilled;
        }

        string scratch = Path.Combine(
            settings.Scratch ?? Path.GetTempPath(),
            "haven-drill-" + Guid.NewGuid().ToString("N"));
        // Private to this user: the copy holds clinical data in the clear while it is checked.
        PrivateFolder.Create(scratch);

        var checks = new List<string>();
        var failures = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        try
        {
            string copy = Path.Combine(scratch, snapshot.Source.Name);
            if (Materialize(repository, snapshot, copy, checks, failures) && snapshot.Sqlite is not null)
            {
                VerifyCopy(copy, snapshot, settings, checks, failures);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(scratch, recursive: true);
        }

        var result = new DrillResult(
            snapshot.Id,
            snapshot.Source.Path,
            failures.Count == 0,
            stopwatch.Elapsed.TotalSeconds,
            Rpo(repository, snapshot),
            checks,
            failures);
        Record(repository, result);
        return result;
    }

    private static bool Materialize(
        LocalRepository repository,
        Manifest snapshot,
        string copy,
        List<string> checks,
        List<string> failures)
    {
        try
        {
            using var stream = Repository.AtomicFile.OpenNew(copy);
            SnapshotMaterializer.WriteTo(repository, snapshot, stream, null, CancellationToken.None);
            checks.Add("every chunk authenticated; whole-image SHA-256 equals the manifest");
            return true;
        }
        catch (IntegrityException e)
        {
            failures.Add($"content: {e.Message}");
            return false;
        }
    }

    private static void VerifyCopy(
        string copy,
        Manifest snapshot,
        DrillSettings settings,
        List<string> checks,
        List<string> failures)
    {
        try
        {
            using var connection = SqliteSnapshotReader.OpenConnection(copy);
            Check(failures, checks, "PRAGMA integrity_check", IntegrityProblem(connection));
            Check(failures, checks, "PRAGMA foreign_key_check", ForeignKeyProblem(connection));
            foreach (var (table, rows) in snapshot.Sqlite!.Tables)
            {
                long actual = SqliteSnapshotReader.CountRows(connection, table);
                Check(
                    failures,
                    checks,
                    $"row count of table '{table}'",
                    actual == rows ? null : $"{actual} rows, the manifest says {rows}");
            }

            foreach (var query in settings.SmokeQueries.Where(q => Applies(q, snapshot)))
            {
                Check(failures, checks, $"smoke query '{query.Name}'", SmokeProblem(connection, query));
            }
        }
        catch (SqliteException e)
        {
            failures.Add($"SQLite cannot read the restored copy: {e.Message}");
        }
    }

    private static void Check(List<string> failures, List<string> checks, string what, string? problem)
    {
        if (problem is null)
        {
            checks.Add(what + ": ok");
        }
        else
        {
            failures.Add($"{what}: {problem}");
        }
    }

    private static string? IntegrityProblem(SqliteConnection connection)
    {
        string result = SqliteSnapshotReader.Scalar<string>(connection, "PRAGMA integrity_check(5)");
        return result == "ok" ? null : result.Replace('\n', ';');
    }

    private static string? ForeignKeyProblem(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_key_check";
        using var reader = command.ExecuteReader();
        var byTable = new SortedDictionary<string, int>(StringComparer.Ordinal);
        while (reader.Read())
        {
            string table = reader.GetString(0);
            byTable[table] = byTable.GetValueOrDefault(table) + 1;
        }

        return byTable.Count == 0
            ? null
            : string.Join(", ", byTable.Select(t => $"table '{t.Key}' has {t.Value} rows whose parent is missing"));
    }

    private static string? SmokeProblem(SqliteConnection connection, SmokeQuery query)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA query_only = 1";
            command.ExecuteNonQuery();
            command.CommandText = query.Sql;
            string actual = Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
            return actual == query.Expect ? null : $"returned '{actual}', expected '{query.Expect}'";
        }
        catch (SqliteException e)
        {
            return $"failed: {e.Message}";
        }
    }

    private static bool Applies(SmokeQuery query, Manifest snapshot) =>
        query.Source is null
            || query.Source == snapshot.Source.Name
            || Path.GetFullPath(query.Source) == snapshot.Source.Path;

    /// <summary>The data-loss window this snapshot implies: time since the previous snapshot of its source.</summary>
    private static double? Rpo(LocalRepository repository, Manifest snapshot)
    {
        var previous = repository.ReadAllSnapshots().Manifests
            .Where(
                m => m.Source.Path == snapshot.Source.Path
                    && m.Trigger != Backup.Triggers.PreRestore
                    && m.Time < snapshot.Time)
            .Select(m => (DateTime?)m.Time)
            .LastOrDefault();
        return previous is null ? null : (snapshot.Time - previous.Value).TotalSeconds;
    }

    private static void Record(LocalRepository repository, DrillResult result) =>
        repository.Audit.Append(AuditEventTypes.DrillCompleted, new Dictionary<string, string>
        {
            ["snapshot"] = result.SnapshotId,
            ["source"] = result.Source,
            ["passed"] = result.Passed ? "true" : "false",
            ["rtoSeconds"] = result.RtoSeconds.ToString("F3", CultureInfo.InvariantCulture),
            ["rpoSeconds"] = result.RpoSeconds?.ToString("F0", CultureInfo.InvariantCulture) ?? "",
            ["checks"] = result.Checks.Count.ToString(CultureInfo.InvariantCulture),
            ["failures"] = string.Join(" | ", result.Failures),
        });
}
