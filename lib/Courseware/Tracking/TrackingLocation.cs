namespace Courseware.Tracking;

/// <summary>The kind of store a <see cref="TrackingLocation"/> names.</summary>
public enum TrackingStoreKind
{
    /// <summary>A folder with an embedded SQLite database and the artifact files (<see cref="SqliteTrackingStore"/>).</summary>
    Folder,

    /// <summary>A PostgreSQL database, its artifact files in a folder every client can reach (<see cref="PostgresTrackingStore"/>).</summary>
    Postgres,

    /// <summary>A tracking server reached over HTTP (<see cref="Rest.RestTrackingStore"/>); it keeps its own artifacts.</summary>
    Server,
}

/// <summary>
/// Where tracking data lives (MLflow's tracking URI), parsed once: a folder path or <c>file:</c> URI (SQLite), a
/// PostgreSQL database (<c>postgresql://user@host/db</c>, <c>postgres://</c> or an Npgsql connection string) with the
/// folder for its artifact files, or the <c>http(s)://</c> URL of a tracking server. With no location given,
/// <c>$MLFLOW_TRACKING_URI</c>, else <see cref="DefaultFolder"/>.
/// </summary>
/// <example><code>await using var store = TrackingLocation.Parse("postgresql://ml@db/tracking").Open();</code></example>
public sealed record TrackingLocation
{
    /// <summary>Environment variable naming the location used when none is given (MLflow's name).</summary>
    public const string EnvironmentVariable = "MLFLOW_TRACKING_URI";

    /// <summary>The location used when none is given and <see cref="EnvironmentVariable"/> is unset.</summary>
    public const string DefaultFolder = ".courseware/tracking";

    /// <summary>
    /// The artifact folder of a PostgreSQL store when none is given (as MLflow keeps a database store's artifacts in a
    /// local folder): every command that opens the same database without naming one writes to the same place.
    /// </summary>
    public const string DefaultArtifactFolder = ".courseware/artifacts";

    private const string Expected = "a folder path or file: URI (SQLite), a postgresql:// URI or PostgreSQL connection string (Host=...), or an http(s):// tracking server URL";

    private TrackingLocation(TrackingStoreKind kind, string store, string? artifactFolder)
    {
        Kind = kind;
        Store = store;
        ArtifactFolder = artifactFolder;
    }

    /// <summary>Which store the location names.</summary>
    public TrackingStoreKind Kind { get; }

    /// <summary>The store: the folder's full path, the PostgreSQL URI or connection string as given, or the server URL.</summary>
    public string Store { get; }

    /// <summary>Full path of a PostgreSQL store's artifact folder; null for a folder store (artifacts inside it) and a server (its own).</summary>
    public string? ArtifactFolder { get; }

    /// <summary>
    /// Parses <paramref name="location"/>; <paramref name="artifactFolder"/> (default <see cref="DefaultArtifactFolder"/>)
    /// is the artifact folder of a PostgreSQL store and is ignored for the other kinds.
    /// </summary>
    /// <exception cref="TrackingException">The text names no store this library opens (the message says what is expected).</exception>
    public static TrackingLocation Parse(string location, string? artifactFolder = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (string.IsNullOrWhiteSpace(location)) throw Invalid("''", "it is empty");
        if (PostgresLocation.IsPostgres(location))
        {
            try
            {
                PostgresLocation.ToConnectionString(location);
            }
            catch (ArgumentException e)
            {
                throw Invalid("the PostgreSQL location", e.Message);
            }
            return new(TrackingStoreKind.Postgres, location, Path.GetFullPath(artifactFolder ?? DefaultArtifactFolder));
        }
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || Path.IsPathRooted(location))
            return new(TrackingStoreKind.Folder, Path.GetFullPath(location), null);
        // Any URI may carry user:password; a refusal shows it without them.
        var shown = $"'{(uri.UserInfo.Length == 0 ? location : location.Replace(uri.UserInfo + "@", "…@", StringComparison.Ordinal))}'";
        return uri.Scheme switch
        {
            "http" or "https" => new(TrackingStoreKind.Server, location, null),
            "file" => new(TrackingStoreKind.Folder, ArtifactLocations.LocalPathOf(ArtifactLocations.Normalize(location, "location")), null),
            "sqlite" => throw Invalid(shown, $"give the store folder (a path or file: URI) that holds {SqliteTrackingStore.DatabaseFileName} and artifacts/"),
            _ => throw Invalid(shown, $"no tracking store for '{uri.Scheme}:' URIs"),
        };
    }

    /// <summary>
    /// <paramref name="location"/> when given, else <c>$MLFLOW_TRACKING_URI</c> when set, else <see cref="DefaultFolder"/>
    /// (MLflow's precedence); <paramref name="artifactFolder"/> as in <see cref="Parse"/>.
    /// </summary>
    /// <exception cref="TrackingException">The location, or the variable's value, names no store (the message says which).</exception>
    public static TrackingLocation Resolve(string? location = null, string? artifactFolder = null) =>
        Resolve(location, artifactFolder, Environment.GetEnvironmentVariable);

    // The environment is passed in so that tests need not change the process's.
    internal static TrackingLocation Resolve(string? location, string? artifactFolder, Func<string, string?> environment)
    {
        if (location is not null) return Parse(location, artifactFolder);
        var fromEnvironment = environment(EnvironmentVariable);
        if (string.IsNullOrEmpty(fromEnvironment)) return Parse(DefaultFolder, artifactFolder);
        try
        {
            return Parse(fromEnvironment, artifactFolder);
        }
        catch (TrackingException e)
        {
            throw TrackingException.InvalidParameter(EnvironmentVariable, $"${EnvironmentVariable}: {e.Message}");
        }
    }

    /// <summary>Opens the store (a folder store and its tables are created if missing). The caller disposes it.</summary>
    public ITrackingStore Open() => Kind switch
    {
        TrackingStoreKind.Postgres => PostgresTrackingStore.Open(Store, ArtifactFolder!),
        TrackingStoreKind.Server => Rest.RestTrackingStore.Connect(Store),
        _ => SqliteTrackingStore.Open(Store),
    };

    /// <summary>The location for messages: the folder, the server URL, or the database host and artifact folder (never a password).</summary>
    public override string ToString() => Kind switch
    {
        TrackingStoreKind.Postgres =>
            $"PostgreSQL ({new Npgsql.NpgsqlConnectionStringBuilder(PostgresLocation.ToConnectionString(Store)).Host}), artifacts in {ArtifactFolder}",
        _ => Store,
    };

    // A PostgreSQL location may carry a password: it is described, never echoed.
    private static TrackingException Invalid(string shown, string problem) =>
        TrackingException.InvalidParameter("location", $"{shown} is not a tracking location: {problem}; expected {Expected}.");
}
