using Courseware.Tracking;
using Npgsql;

namespace Courseware.Tests.Tracking;

/// <summary>
/// PostgreSQL locations as MLflow and SQLAlchemy write them (postgresql://user:password@host:port/db?libpq-params,
/// also postgres:// and postgresql+driver://) turned into Npgsql settings, and opened for real against a private cluster.
/// </summary>
public class PostgresLocationTests
{
    private static NpgsqlConnectionStringBuilder Parse(string uri) => new(PostgresLocation.ToConnectionString(uri));

    [Fact]
    public void A_full_uri_sets_every_part_percent_decoded()
    {
        var b = Parse("postgresql://ml%40team:p%3Ass%2Fw@db.example:6543/tracking%20db?sslmode=require&application_name=lab+4&connect_timeout=7");
        Assert.Equal(("ml@team", "p:ss/w", "db.example", 6543, "tracking db"), (b.Username, b.Password, b.Host, b.Port, b.Database));
        Assert.Equal((SslMode.Require, "lab 4", 7), (b.SslMode, b.ApplicationName, b.Timeout));
    }

    [Theory]
    [InlineData("postgres://ml@db/tracking", "db", 5432, "ml", "tracking")]
    [InlineData("postgresql+psycopg2://ml@db:5433/tracking", "db", 5433, "ml", "tracking")]
    [InlineData("POSTGRESQL://ml@db/tracking", "db", 5432, "ml", "tracking")]
    [InlineData("postgresql://[::1]:5434/t", "::1", 5434, null, "t")]
    [InlineData("postgresql:///t?host=/var/run/postgresql&user=ml", "/var/run/postgresql", 5432, "ml", "t")]
    [InlineData("postgresql://h1:5432,h2:5433/t", "h1:5432,h2:5433", 5432, null, "t")]
    public void Spellings_and_hosts(string uri, string host, int port, string? user, string database)
    {
        var b = Parse(uri);
        Assert.Equal((host, port, user, database), (b.Host, b.Port, b.Username, b.Database));
    }

    [Theory]
    [InlineData("postgresql://ml@db/t", true)]
    [InlineData("postgres://db", true)]
    [InlineData("postgresql+asyncpg://db/t", true)]
    [InlineData("Host=db;Database=t", true)]
    [InlineData("mysql://db/t", false)]
    [InlineData("http://127.0.0.1:5000", false)]
    [InlineData("file:///tmp/runs", false)]
    [InlineData(".courseware/tracking", false)]
    [InlineData("runs/postgres", false)]
    public void Which_locations_are_postgres(string location, bool expected) => Assert.Equal(expected, PostgresLocation.IsPostgres(location));

    [Fact]
    public void A_connection_string_passes_through_and_bad_uris_name_the_problem_without_the_password()
    {
        Assert.Equal("Host=db;Database=t", PostgresLocation.ToConnectionString("Host=db;Database=t"));
        var port = Assert.Throws<ArgumentException>(() => Parse("postgresql://ml:secret@db:99999/t"));
        Assert.Contains("port '99999'", port.Message);
        Assert.DoesNotContain("secret", port.Message);
        var param = Assert.Throws<ArgumentException>(() => Parse("postgresql://ml:secret@db/t?sslmod=require"));
        Assert.Contains("parameter 'sslmod' is not supported", param.Message);
        Assert.DoesNotContain("secret", param.Message);
        Assert.Contains("'sslmode'", Assert.Throws<ArgumentException>(() => Parse("postgresql://db/t?sslmode=sometimes")).Message);
        Assert.Contains("not a PostgreSQL URI", Assert.Throws<ArgumentException>(() => PostgresLocation.ToConnectionString("mysql://db/t")).Message);
    }
}

/// <summary>postgresql:// and postgres:// URIs open a real store, through the library, the tracker and the server's CLI.</summary>
[Trait("Category", "Postgres")]
public sealed class PostgresUriStoreTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    [Fact]
    public async Task Uris_open_the_same_database_as_the_connection_string()
    {
        var keywords = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync());
        var uri = $"postgresql://{keywords.Username}@{keywords.Host}:{keywords.Port}/{keywords.Database}?search_path={keywords.SearchPath}";
        using var artifacts = new TempFolder();
        await using (var store = PostgresTrackingStore.Open(uri, artifacts.Path))
            await store.CreateExperimentAsync("from-uri");
        await using (var byKeywords = PostgresTrackingStore.Open(keywords.ConnectionString, artifacts.Path))
            Assert.NotNull(await byKeywords.GetExperimentByNameAsync("from-uri"));
        var location = TrackingLocation.Parse("postgres" + uri["postgresql".Length..], artifacts.Path);
        await using (var server = Courseware.Cli.ServerCommand.OpenStore(location))
        {
            Assert.IsType<PostgresTrackingStore>(server);
            Assert.NotNull(await server.GetExperimentByNameAsync("from-uri"));
            Assert.StartsWith($"PostgreSQL ({keywords.Host})", location.ToString());
            Assert.DoesNotContain(keywords.Username!, location.ToString());
        }
    }
}
