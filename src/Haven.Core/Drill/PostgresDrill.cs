using System.Diagnostics;
using System.Globalization;
using Haven.Core.Configuration;
using Haven.Core.Repository;
using Haven.Core.Restore;
using Haven.Core.Snapshots;
using Haven.Core.Sources.Postgres;
using Npgsql;

namespace Haven.Core.Drill;

/// <summary>
/// A drill of a PostgreSQL snapshot: pg_restore into a scratch database on the drill server
/// (drill.postgres), the same verification as a real restore (chunks, dump digest, row counts,
/// large objects), the smoke queries for that database, then the scratch database is dropped.
/// </summary>
internal static class PostgresDrill
{
    public static (List<string> Checks, List<string> Failures, double Seconds) Run(
        LocalRepository repository,
        Manifest snapshot,
        DrillSettings settings)
    {
        var checks = new List<string>();
        var failures = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        if (settings.Postgres is null)
        {
            failures.Add("no PostgreSQL server is configured for drills: set drill.postgres in haven.json, " +
                "HAVEN_PG_CONNECTION, or pass --postgres");
            return (checks, failures, stopwatch.Elapsed.TotalSeconds);
        }

        PostgresEndpoint? server = null;
        try
        {
            server = PostgresEndpoint.Parse(settings.Postgres, "drill.postgres");
            using var admin = PostgresRestore.OpenMaintenance(server);
            var tool = PostgresRestore.RestoreTool(admin, snapshot, settings.PostgresTools);
            var missing = PostgresCatalog.MissingRoles(admin, snapshot.Postgres!.Roles.Append(snapshot.Postgres.Owner));
            bool noOwner = missing.Count > 0;
            string scratch = PostgresRestore.DatedName(
                $"haven_drill_{snapshot.Id[..8]}_{Guid.NewGuid().ToString("N")[..8]}",
                "scratch",
                repository.Time.GetUtcNow());
            PostgresRestore.CreateDatabase(admin, scratch, snapshot, noOwner);
            try
            {
                if (noOwner)
                {
                    checks.Add(
                        $"roles missing on the drill server ({string.Join(", ", missing)}): restored without owners");
                }

                var database = server.WithDatabase(scratch);
                checks.AddRange(
                    PostgresRestore.LoadAndVerify(repository, snapshot, database, tool, noOwner, null, default));
                using var connection = database.Open();
                foreach (var query in settings.SmokeQueries.Where(q => q.Source == snapshot.Source.Name
                    || q.Source == snapshot.Source.Path))
                {
                    string? problem = SmokeProblem(connection, query);
                    if (problem is null)
                    {
                        checks.Add($"smoke query '{query.Name}': ok");
                    }
                    else
                    {
                        failures.Add($"smoke query '{query.Name}': {problem}");
                    }
                }
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                PostgresRestore.DropDatabase(admin, scratch);
                checks.Add($"scratch database '{scratch}' dropped");
            }
        }
        catch (UsageException)
        {
            // The drill's settings are wrong (no such pg_restore, a refused login): nothing was
            // restored or measured, so this is the operator's error to fix, not a failed drill.
            throw;
        }
        catch (HavenException e)
        {
            failures.Add(e.Message);
        }
        catch (NpgsqlException e)
        {
            failures.Add(server?.Explain(e).Message ?? e.Message);
        }

        return (checks, failures, stopwatch.Elapsed.TotalSeconds);
    }

    private static string? SmokeProblem(NpgsqlConnection connection, SmokeQuery query)
    {
        try
        {
            using var transaction = connection.BeginTransaction();
            PostgresCatalog.Execute(connection, "SET TRANSACTION READ ONLY");
            object? value = PostgresCatalog.Scalar(connection, query.Sql);
            string actual = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            return actual == query.Expect ? null : $"returned '{actual}', expected '{query.Expect}'";
        }
        catch (PostgresException e)
        {
            return $"failed: {e.MessageText}";
        }
    }
}
