using System.CommandLine;
using Courseware.Cli.Commands;
using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>One tracking location, parsed once (issue #19): its kinds, its $MLFLOW_TRACKING_URI default, its errors, and the one CLI binder.</summary>
public sealed class TrackingLocationTests
{
    private const string Database = "postgresql://ml@db.example/tracking";
    private static readonly string DefaultArtifacts = Path.GetFullPath(TrackingLocation.DefaultArtifactFolder);

    private static Func<string, string?> WithTrackingUri(string? trackingUri) =>
        name => name == TrackingLocation.EnvironmentVariable ? trackingUri : null;

    [Fact]
    public void Each_spelling_names_its_kind_of_store()
    {
        var folder = TrackingLocation.Parse("runs/store");
        Assert.Equal((TrackingStoreKind.Folder, Path.GetFullPath("runs/store"), (string?)null), (folder.Kind, folder.Store, folder.ArtifactFolder));

        var uri = new Uri(Path.GetFullPath("runs/store")).AbsoluteUri;
        Assert.Equal((TrackingStoreKind.Folder, Path.GetFullPath("runs/store")), (TrackingLocation.Parse(uri).Kind, TrackingLocation.Parse(uri).Store));

        var postgres = TrackingLocation.Parse(Database);
        Assert.Equal((TrackingStoreKind.Postgres, Database, DefaultArtifacts), (postgres.Kind, postgres.Store, postgres.ArtifactFolder));
        Assert.Equal(TrackingStoreKind.Postgres, TrackingLocation.Parse("Host=db;Database=tracking;Username=ml").Kind);
        Assert.Equal(Path.GetFullPath("shared/artifacts"), TrackingLocation.Parse(Database, "shared/artifacts").ArtifactFolder);

        foreach (var server in new[] { "http://127.0.0.1:5000", "https://tracking.example" })
            Assert.Equal((TrackingStoreKind.Server, server, (string?)null), (TrackingLocation.Parse(server).Kind, TrackingLocation.Parse(server).Store, TrackingLocation.Parse(server).ArtifactFolder));
        Assert.Null(TrackingLocation.Parse("runs/store", "ignored/for/a/folder").ArtifactFolder);
    }

    [Fact]
    public void No_location_means_MLFLOW_TRACKING_URI_else_the_default_folder_and_a_given_one_wins()
    {
        Assert.Equal(Path.GetFullPath(TrackingLocation.DefaultFolder), TrackingLocation.Resolve(null, null, WithTrackingUri(null)).Store);
        Assert.Equal(Path.GetFullPath(TrackingLocation.DefaultFolder), TrackingLocation.Resolve(null, null, WithTrackingUri("")).Store);
        Assert.Equal("http://tracking:5000", TrackingLocation.Resolve(null, null, WithTrackingUri("http://tracking:5000")).Store);
        Assert.Equal(Path.GetFullPath("mine"), TrackingLocation.Resolve("mine", null, WithTrackingUri("http://tracking:5000")).Store);

        var bad = Assert.Throws<TrackingException>(() => TrackingLocation.Resolve(null, null, WithTrackingUri("s3://bucket/runs")));
        Assert.StartsWith("$MLFLOW_TRACKING_URI: 's3://bucket/runs' is not a tracking location", bad.Message);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("sqlite:runs.db", "give the store folder")]
    [InlineData("s3://bucket/runs", "no tracking store for 's3:' URIs")]
    [InlineData("postgresql://ml:secret@db:notaport/tracking", "the PostgreSQL location is not a tracking location")]
    [InlineData("mysql://root:secret@db/tracking", "'mysql://…@db/tracking' is not a tracking location")]
    [InlineData("sqlite://u:secret@h/runs.db", "give the store folder")]
    public void A_string_that_names_no_store_says_what_was_expected(string location, string problem)
    {
        var e = Assert.Throws<TrackingException>(() => TrackingLocation.Parse(location));
        Assert.Contains(problem, e.Message);
        Assert.Contains("expected a folder path or file: URI (SQLite), a postgresql:// URI or PostgreSQL connection string", e.Message);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void The_binder_names_the_option_that_is_wrong()
    {
        var options = new TrackingLocationOptions();
        var command = new Command("tool");
        options.AddTo(command);

        var store = Assert.Throws<TrackingException>(() => options.Get(command.Parse(["--tracking-uri", "s3://bucket/runs"])));
        Assert.StartsWith("--store: 's3://bucket/runs' is not a tracking location", store.Message);
        Assert.Contains("expected", store.Message);

        var artifacts = Assert.Throws<TrackingException>(() => options.Get(command.Parse(["--store", "runs", "--artifacts", "elsewhere"])));
        Assert.Equal("--artifacts", artifacts.Field);
        Assert.Contains("--artifacts is for a PostgreSQL --store", artifacts.Message);

        Assert.Equal(Path.GetFullPath("runs"), options.Get(command.Parse(["--store", "runs"])).Store);
        var server = Assert.Throws<TrackingException>(() => Cli.ServerCommand.OpenStore(TrackingLocation.Parse("http://127.0.0.1:5000")));
        Assert.Equal("--store", server.Field);
        var postgres = options.Get(command.Parse(["--store", Database, "--artifacts", "shared"]));
        Assert.Equal(Path.GetFullPath("shared"), postgres.ArtifactFolder);
    }

    public static TheoryData<string[]> StoreCommands => new()
    {
        new[] { "server" },
        new[] { "sweep", "create", "sweep.yaml" },
        new[] { "sweep", "stop", "sweep-1" },
        new[] { "sweep", "resume", "sweep-1" },
        new[] { "agent", "sweep-1" },
        new[] { "audit", "report" },
        new[] { "registry", "list" },
        new[] { "serve", "models:/m@champion" },
        new[] { "eval", "--model", "models:/m@champion" },
    };

    [Theory]
    [MemberData(nameof(StoreCommands))]
    public void Every_command_takes_both_spellings_and_puts_a_databases_artifacts_in_the_same_folder(string[] command)
    {
        foreach (var spelling in new[] { "--store", "--tracking-uri" })
        {
            string[] args = [.. command, spelling, Database, .. command[0] == "agent" ? new[] { "--", "train" } : []];
            var parse = Cli.CliCommands.Root().Parse(args);
            Assert.Empty(parse.Errors);
            Assert.Equal(Database, parse.GetValue<string?>("--store"));
            var location = TrackingLocation.Parse(parse.GetValue<string?>("--store")!, parse.GetValue<string?>("--artifacts"));
            Assert.Equal(DefaultArtifacts, location.ArtifactFolder);
        }
    }
}
