using Npgsql;

namespace Haven.Core.Tests.Support;

/// <summary>
/// The real PostgreSQL server the tests use: HAVEN_TEST_PG (an Npgsql connection string of a
/// superuser), by default the local server on 127.0.0.1:5432 that .ci/run installs and starts.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string?> Problem = new(() =>
    {
        try
        {
            using var connection = new NpgsqlConnection(Admin);
            connection.Open();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return e.Message;
        }
    });

    public static string Admin =>
        Environment.GetEnvironmentVariable("HAVEN_TEST_PG") is { Length: > 0 } text
            ? text
            : "Host=127.0.0.1;Port=5432;Username=postgres;Password=haven-test;Pooling=false";

    /// <summary>Why the server cannot be used, or null when it can.</summary>
    public static string? Unavailable => Problem.Value;

    /// <summary>A connection string for <paramref name="database"/> with the admin's credentials.</summary>
    public static string For(string database, string? user = null, string? password = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(Admin) { Database = database, Pooling = false };
        if (user is not null)
        {
            builder.Username = user;
            builder.Password = password;
        }

        return builder.ConnectionString;
    }

    public static void Execute(string database, string sql)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        command.ExecuteNonQuery();
    }

    public static T Scalar<T>(string database, string sql)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return (T)command.ExecuteScalar()!;
    }

    public static List<T> Column<T>(string database, string sql)
    {
        using var connection = new NpgsqlConnection(For(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        using var reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    public static bool Exists(string database) =>
        Column<string>("postgres", "SELECT datname FROM pg_database").Contains(database);
}

/// <summary>
/// A test that needs the PostgreSQL server. Outside CI it is skipped (saying why) when no server is
/// reachable; in CI (CI=true) it always runs, so a missing server fails the run instead of hiding.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") is not { Length: > 0 } && PostgresServer.Unavailable is { } why)
        {
            Skip = $"No PostgreSQL server to test against ({why}); set HAVEN_TEST_PG or start one.";
        }
    }
}

/// <summary>
/// A fresh database for one test, named haven_t_RANDOM; on dispose it and every database whose name
/// starts with its name (restore targets, pre-restore copies) are dropped.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    public PostgresDatabase(string? options = null)
    {
        Name = "haven_t_" + Guid.NewGuid().ToString("N")[..10];
        PostgresServer.Execute("postgres", $"CREATE DATABASE {Name} {options}");
    }

    public string Name { get; }

    /// <summary>Connection string of this database.</summary>
    public string Connection => PostgresServer.For(Name);

    /// <summary>A name for another database that this one's disposal also drops.</summary>
    public string Related(string suffix) => $"{Name}_{suffix}";

    public void Execute(string sql) => PostgresServer.Execute(Name, sql);

    public T Scalar<T>(string sql) => PostgresServer.Scalar<T>(Name, sql);

    public void Dispose()
    {
        foreach (string database in PostgresServer.Column<string>(
            "postgres",
            $"SELECT datname FROM pg_database WHERE datname LIKE '{Name}%'"))
        {
            PostgresServer.Execute("postgres", $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }
}
