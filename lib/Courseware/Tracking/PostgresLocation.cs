using Npgsql;

namespace Courseware.Tracking;

/// <summary>
/// The ways a PostgreSQL tracking store can be named: a URI as MLflow and SQLAlchemy write it
/// (<c>postgresql://user:password@host:5432/tracking?sslmode=require</c>, also <c>postgres://</c> and
/// <c>postgresql+psycopg2://</c>), or an Npgsql connection string (<c>Host=db;Database=tracking;Username=ml</c>).
/// URI parts are percent-decoded; query parameters take libpq's names (sslmode, connect_timeout, application_name,
/// options, target_session_attrs, search_path, host, port, user, password, dbname).
/// </summary>
/// <example><code>PostgresLocation.ToConnectionString("postgresql://ml@db/tracking")   // Host=db;Username=ml;Database=tracking</code></example>
public static class PostgresLocation
{
    private static readonly Dictionary<string, string> LibpqNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = "Host", ["port"] = "Port", ["user"] = "Username", ["password"] = "Password", ["dbname"] = "Database",
        ["sslmode"] = "SSL Mode", ["connect_timeout"] = "Timeout", ["application_name"] = "Application Name",
        ["options"] = "Options", ["target_session_attrs"] = "Target Session Attributes", ["search_path"] = "Search Path",
    };

    /// <summary>Whether <paramref name="location"/> names a PostgreSQL database (a postgres URI or a connection string with <c>Host=</c>).</summary>
    public static bool IsPostgres(string location) =>
        Scheme(location) is { } scheme ? IsPostgresScheme(scheme) : location.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>An Npgsql connection string for a postgres URI; a connection string is returned as it is.</summary>
    /// <exception cref="ArgumentException">A URI with another scheme, a bad port or an unknown query parameter (named).</exception>
    public static string ToConnectionString(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (Scheme(location) is not { } scheme) return location;
        if (!IsPostgresScheme(scheme))
            throw new ArgumentException($"'{scheme}://' is not a PostgreSQL URI; expected postgresql:// or postgres://.", nameof(location));
        var rest = location[(scheme.Length + 3)..];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var slash = rest.IndexOf('/');
        var (authority, database) = slash >= 0 ? (rest[..slash], rest[(slash + 1)..]) : (rest, "");
        var builder = new NpgsqlConnectionStringBuilder();
        if (authority.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }
        if (authority.Length > 0) SetHost(builder, authority);
        if (database.Length > 0) builder.Database = Uri.UnescapeDataString(database);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = Uri.UnescapeDataString(eq >= 0 ? pair[..eq] : pair);
            var value = eq >= 0 ? Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' ')) : "";
            if (!LibpqNames.TryGetValue(key, out var npgsqlKey))
                throw new ArgumentException($"PostgreSQL URI parameter '{key}' is not supported; expected one of {string.Join(", ", LibpqNames.Keys)}.", nameof(location));
            try { builder[npgsqlKey] = value; }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new ArgumentException($"PostgreSQL URI parameter '{key}' has an invalid value: {e.Message}", nameof(location), e);
            }
        }
        return builder.ConnectionString;
    }

    // One host (name, IPv4 or [IPv6], optional :port), or several separated by commas as libpq allows.
    private static void SetHost(NpgsqlConnectionStringBuilder builder, string authority)
    {
        if (authority.Contains(','))
        {
            builder.Host = Uri.UnescapeDataString(authority);
            return;
        }
        string host = authority, port = "";
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) throw new ArgumentException("PostgreSQL URI: the IPv6 address opened with '[' is never closed.", "location");
            host = authority[1..close];
            if (authority.Length > close + 1)
                port = authority[(close + 1)..] is [':', .. var p] ? p
                    : throw new ArgumentException("PostgreSQL URI: expected ':port' after the IPv6 address.", "location");
        }
        else if (authority.LastIndexOf(':') is var colon and >= 0)
        {
            (host, port) = (authority[..colon], authority[(colon + 1)..]);
        }
        if (host.Length > 0) builder.Host = Uri.UnescapeDataString(host);
        if (port.Length > 0)
            builder.Port = int.TryParse(port, out var n) && n is > 0 and < 65536 ? n
                : throw new ArgumentException($"PostgreSQL URI: port '{port}' is not a number between 1 and 65535.", "location");
    }

    private static string? Scheme(string location)
    {
        var end = location.IndexOf("://", StringComparison.Ordinal);
        return end > 0 && location[..end].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') ? location[..end] : null;
    }

    // SQLAlchemy adds the driver after a '+': postgresql+psycopg2://.
    private static bool IsPostgresScheme(string scheme) =>
        scheme.Split('+')[0].ToLowerInvariant() is "postgresql" or "postgres";
}
