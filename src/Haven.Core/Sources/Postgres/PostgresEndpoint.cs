using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Haven.Core.Sources.Postgres;

/// <summary>
/// A PostgreSQL database to back up or restore into, from an Npgsql connection string
/// ("Host=db;Username=app;Password=...;Database=clinic") or a URL
/// ("postgres://app:secret@db:5432/clinic?sslmode=require"). The password stays in this object:
/// it is never shown (<see cref="Display"/> omits it), never put on a command line, and reaches
/// pg_dump and pg_restore only through a private password file.
/// </summary>
internal sealed class PostgresEndpoint
{
    private readonly NpgsqlConnectionStringBuilder _builder;

    private PostgresEndpoint(NpgsqlConnectionStringBuilder builder, bool databaseGiven)
    {
        _builder = builder;
        DatabaseGiven = databaseGiven;
    }

    /// <summary>
    /// Whether the connection named the database (else it defaults to the user's name, as in libpq).
    /// </summary>
    public bool DatabaseGiven { get; }

    /// <summary>Database name.</summary>
    public string Database => _builder.Database!;

    /// <summary>Host name, address or socket folder.</summary>
    public string Host => _builder.Host!;

    /// <summary>TCP port (or socket number).</summary>
    public int Port => _builder.Port;

    /// <summary>Role name.</summary>
    public string User => _builder.Username!;

    /// <summary>The password, if one was given (in the connection or PGPASSWORD).</summary>
    public string? Password => _builder.Password;

    /// <summary>postgres://user@host:port/database: safe to print, log and record.</summary>
    public string Display =>
        $"postgres://{Uri.EscapeDataString(User)}@{Host}:{Port}/" +
        Uri.EscapeDataString(Database);

    /// <summary>
    /// The database's identity as a source of snapshots: postgres://host:port/database, whichever role
    /// connects, so that backups taken as different roles are snapshots of one source.
    /// </summary>
    public string SourcePath => $"postgres://{Host}:{Port}/{Database}";

    /// <summary>Where the server is, for messages: host:port.</summary>
    public string Server => $"{Host}:{Port}";

    /// <summary>
    /// Parses a connection string or URL. <paramref name="origin"/> names where it came from
    /// ("--connection", "HAVEN_PG_CONNECTION") for the message when it is not valid.
    /// </summary>
    public static PostgresEndpoint Parse(string text, string origin)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new UsageException(
                $"The PostgreSQL connection given by {origin} is empty.",
                "Pass --connection \"Host=...;Username=...;Database=...\" or a postgres:// URL.");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(text)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
        {
            throw new UsageException(
                $"The PostgreSQL connection given by {origin} is not valid: {e.Message}",
                "Use an Npgsql connection string (Host=...;Username=...;Database=...) or " +
                "postgres://user@host:port/database.");
        }

        bool databaseGiven = builder.Database is { Length: > 0 };
        builder.Host ??= "localhost";
        builder.Username ??= Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        builder.Database ??= builder.Username;
        builder.Password ??= Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } p ? p : null;
        if (builder.Host.Contains(',', StringComparison.Ordinal))
        {
            throw new UsageException(
                $"The PostgreSQL connection given by {origin} names several hosts ({builder.Host}).",
                "Give the one server to back up or restore into.");
        }

        builder.Timeout = builder.Timeout == 15 ? 10 : builder.Timeout;
        builder.Pooling = false;
        builder.ApplicationName ??= "haven";
        return new PostgresEndpoint(builder, databaseGiven);
    }

    /// <summary>The same server and credentials, another database.</summary>
    public PostgresEndpoint WithDatabase(string database) =>
        new(
            new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Database = database },
            databaseGiven: true);

    /// <summary>Opens a connection, turning every failure into one clear sentence.</summary>
    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(_builder.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            connection.Dispose();
            throw Explain(e);
        }
    }

    /// <summary>Turns an Npgsql failure on this endpoint into one clear sentence and the right exit code.</summary>
    public HavenException Explain(Exception error)
    {
        string hintCredentials = "Check the user name and password in the connection string (or HAVEN_PG_CONNECTION).";
        return error switch
        {
            PostgresException { SqlState: "28P01" or "28000" } e => new UsageException(
                $"PostgreSQL at {Server} refused the login of role '{User}': {e.MessageText}.",
                hintCredentials),
            PostgresException { SqlState: "3D000" } => new UsageException(
                $"The database '{Database}' does not exist on the PostgreSQL server at {Server}.",
                "Check the database name; 'psql -l' lists the databases."),
            PostgresException { SqlState: "42501" } e => new UsageException(
                $"Role '{User}' lacks a privilege Haven needs on {Display}: {e.MessageText}.",
                "Back up as the database's owner, or as a role granted pg_read_all_data (and lo_compat_privileges " +
                "or SELECT on every large object)."),
            PostgresException e => new HavenException(
                $"PostgreSQL at {Server} reported an error for {Display}: {e.MessageText} (SQLSTATE {e.SqlState}).",
                inner: e),
            NpgsqlException e when e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
                new UsageException($"PostgreSQL at {Server} asks role '{User}' for a password, and none was given.",
                    hintCredentials),
            _ when FindSocketError(error) is { } socket => new HavenException(
                $"Cannot reach PostgreSQL at {Server}: {socket.Message}.",
                "Check that the server is running and that the host and port are right."),
            _ when error is TimeoutException || error.InnerException is TimeoutException => new HavenException(
                $"PostgreSQL at {Server} did not answer within {_builder.Timeout} s.",
                "Check that the server is running and reachable from this machine."),
            _ => new HavenException($"PostgreSQL at {Server} failed for {Display}: {error.Message}", inner: error),
        };
    }

    /// <summary>
    /// A libpq connection string for pg_dump and pg_restore, without the password (it goes in a
    /// password file): host, port, user, database and the TLS mode.
    /// </summary>
    public string LibpqConnectionString()
    {
        var text = new StringBuilder();
        Append("host", Host);
        Append("port", Port.ToString(CultureInfo.InvariantCulture));
        Append("user", User);
        Append("dbname", Database);
        Append("sslmode", _builder.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        });
        Append("connect_timeout", _builder.Timeout.ToString(CultureInfo.InvariantCulture));
        Append("application_name", "haven");
        return text.ToString();

        void Append(string key, string value)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(key).Append("='")
                .Append(value
                    .Replace("\\", "\\\\", StringComparison.Ordinal)
                    .Replace("'", "\\'", StringComparison.Ordinal))
                .Append('\'');
        }
    }

    /// <summary>Quotes an SQL identifier.</summary>
    public static string Quote(string identifier) =>
        "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        var uri = new Uri(text);
        var builder = new NpgsqlConnectionStringBuilder();
        if (uri.Host.Length > 0)
        {
            builder.Host = uri.Host;
        }

        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            switch (key)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException($"sslmode '{value}' is not one of disable, allow, prefer, " +
                            "require, verify-ca, verify-full."),
                    };
                    break;
                case "host":
                    builder.Host = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                default:
                    throw new FormatException($"the URL parameter '{key}' is not supported (use sslmode, host, " +
                        "connect_timeout or application_name).");
            }
        }

        return builder;
    }

    private static SocketException? FindSocketError(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is SocketException socket)
            {
                return socket;
            }
        }

        return null;
    }
}
