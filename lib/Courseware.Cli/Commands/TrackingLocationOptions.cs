using System.CommandLine;
using Courseware.Tracking;

namespace Courseware.Cli.Commands;

/// <summary>
/// The options every command that opens a tracking store takes, read into one <see cref="TrackingLocation"/>:
/// <c>--store</c> (also spelled <c>--tracking-uri</c>, MLflow's name; default $MLFLOW_TRACKING_URI, else
/// <see cref="TrackingLocation.DefaultFolder"/>) and <c>--artifacts</c>, the artifact folder of a PostgreSQL store
/// (default <see cref="TrackingLocation.DefaultArtifactFolder"/>, the same for every command).
/// </summary>
internal sealed class TrackingLocationOptions
{
    /// <param name="purpose">What the store is for, opening the option's description (e.g. "Tracking store").</param>
    /// <param name="recursive">Whether subcommands inherit the options (a command group such as <c>registry</c>).</param>
    /// <param name="optional">Whether the command opens a store only when --store is given (no default is described).</param>
    public TrackingLocationOptions(string purpose = "Tracking store", bool recursive = false, bool optional = false)
    {
        Store = new Option<string?>("--store", "--tracking-uri")
        {
            Description = $"{purpose}: a folder (SQLite) or file: URI, a PostgreSQL URI (postgresql://user@host/db) or connection string (Host=...), " +
                "or a tracking server URL (http://...)." +
                (optional ? "" : $" Default: ${TrackingLocation.EnvironmentVariable}, else {TrackingLocation.DefaultFolder}."),
            Recursive = recursive,
        };
        Artifacts = new Option<string?>("--artifacts")
        {
            Description = $"Artifact folder of a PostgreSQL --store, on a file system every client reaches (default {TrackingLocation.DefaultArtifactFolder}).",
            Recursive = recursive,
        };
    }

    /// <summary><c>--store</c>, alias <c>--tracking-uri</c>.</summary>
    public Option<string?> Store { get; }

    /// <summary><c>--artifacts</c>.</summary>
    public Option<string?> Artifacts { get; }

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Store);
        command.Options.Add(Artifacts);
    }

    /// <summary>Whether the command line names a store (for commands where the store is optional).</summary>
    public bool IsGiven(ParseResult parse) => parse.GetValue(Store) is not null;

    /// <summary>The location the command line names: --store, else $MLFLOW_TRACKING_URI, else the default folder.</summary>
    /// <exception cref="TrackingException">A location that names no store, or --artifacts beside a store that keeps its own (the message names the option).</exception>
    public TrackingLocation Get(ParseResult parse)
    {
        var given = parse.GetValue(Store);
        var artifacts = parse.GetValue(Artifacts);
        TrackingLocation location;
        try
        {
            location = TrackingLocation.Resolve(given, artifacts);
        }
        catch (TrackingException e) when (given is not null)
        {
            throw new TrackingException(TrackingErrorCode.InvalidParameterValue, $"--store: {e.Message}", "--store");
        }
        if (artifacts is not null && location.Kind != TrackingStoreKind.Postgres)
            throw new TrackingException(TrackingErrorCode.InvalidParameterValue,
                $"--artifacts is for a PostgreSQL --store; {location} keeps its artifacts {(location.Kind == TrackingStoreKind.Server ? "on the server" : "inside it")}.", "--artifacts");
        return location;
    }

    /// <summary>The location as <see cref="Get"/> reads it, or null after writing the error to stderr (the command then exits with 2).</summary>
    public TrackingLocation? TryGet(ParseResult parse)
    {
        try
        {
            return Get(parse);
        }
        catch (TrackingException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }
}
