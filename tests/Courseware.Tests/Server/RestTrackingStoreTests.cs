using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Courseware.Tracking.Rest;

namespace Courseware.Tests.Server;

/// <summary>
/// The store contract (the same tests as the SQLite store) against <see cref="RestTrackingStore"/> talking HTTP to a real
/// server on 127.0.0.1: every behaviour and error code must survive the trip through MLflow's REST API.
/// </summary>
public sealed class RestTrackingStoreTests : TrackingStoreContract
{
    private LiveServer _server = null!;

    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        _server = await LiveServer.StartAsync();
        return await RestTrackingStore.ConnectAsync(_server.Url);
    }

    // Another client of the same server, as another process would be.
    protected override async Task<ITrackingStore> OpenSameStoreAsync() => await RestTrackingStore.ConnectAsync(_server.Url);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public void Default_artifact_root_is_the_servers()
    {
        Assert.Equal(_server.Store.DefaultArtifactRoot, Store.DefaultArtifactRoot);
    }

    [Fact]
    public async Task Tracker_opened_on_a_url_logs_metrics_params_and_artifacts_through_the_server()
    {
        using var tracker = Tracker.Open(_server.Url);
        string runId;
        using (var run = tracker.StartRun("penguins", name: "lr-0.01"))
        {
            runId = run.RunId;
            run.LogParams(new { lr = 0.01, epochs = 3 });
            for (var step = 0; step < 3; step++) run.LogMetric("val/acc", 0.5 + step * 0.1, step: step);
            run.LogText("hello", "notes/readme.txt");
        }
        // Read back from the server's own store, not through the client.
        var stored = await _server.Store.GetRunAsync(runId);
        Assert.Equal(RunStatus.Finished, stored.Info.Status);
        Assert.Equal("0.01", stored.Param("lr"));
        Assert.Equal([0.5, 0.6, 0.7], (await _server.Store.GetMetricHistoryAsync(runId, "val/acc")).Select(m => Math.Round(m.Value, 10)));
        var file = new Uri(stored.Info.ArtifactUri).LocalPath + "/notes/readme.txt";
        Assert.Equal("hello", File.ReadAllText(file));
        Assert.Equal("hello", await tracker.ReadArtifactTextAsync(runId, "notes/readme.txt"));
        var listed = await tracker.ListArtifactsAsync(runId);
        Assert.Equal([new ArtifactInfo("notes", true, null)], listed);
        Assert.Equal([new ArtifactInfo("notes/readme.txt", false, 5)], await tracker.ListArtifactsAsync(runId, "notes"));
        var missing = await Assert.ThrowsAsync<TrackingException>(() => tracker.ReadArtifactTextAsync(runId, "nope.txt"));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", missing.ErrorCode);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_clear_error_naming_the_url()
    {
        // A port that was just free: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var e = await Assert.ThrowsAsync<TrackingException>(() => RestTrackingStore.ConnectAsync($"http://127.0.0.1:{port}"));
        Assert.Equal(("INTERNAL_ERROR", "url"), (e.ErrorCode, e.Field));
        Assert.Contains($"http://127.0.0.1:{port}/", e.Message);
        var bad = await Assert.ThrowsAsync<TrackingException>(() => RestTrackingStore.ConnectAsync("ftp://example.org"));
        Assert.Equal("url", bad.Field);
    }

    [Fact]
    public async Task A_server_that_accepts_but_never_answers_times_out_with_a_clear_error()
    {
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var e = await Assert.ThrowsAsync<TrackingException>(() => RestTrackingStore.ConnectAsync($"http://127.0.0.1:{port}", timeout: TimeSpan.FromSeconds(1)));
            Assert.Equal(("INTERNAL_ERROR", "url"), (e.ErrorCode, e.Field));
            Assert.Contains("no answer within 1 s", e.Message);
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task A_non_mlflow_answer_is_reported_with_its_status()
    {
        // The UI's index page is not JSON: asking the REST store to treat it as the API must fail clearly.
        await using var store = await RestTrackingStore.ConnectAsync(_server.Url);
        using var http = new HttpClient();
        var html = await http.GetStringAsync(_server.Url + "/");
        Assert.StartsWith("<!DOCTYPE html>", html);
        var e = await Assert.ThrowsAsync<TrackingException>(() => RestTrackingStore.ConnectAsync(_server.Url + "/static"));
        Assert.Equal("INTERNAL_ERROR", e.ErrorCode);
        Assert.Contains("404", e.Message);
    }
}

/// <summary>
/// The same contract through the server when the server's store is PostgreSQL (a private cluster the tests start):
/// the REST layer must not depend on which store is behind it.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class RestOverPostgresTests(PostgresCluster cluster) : TrackingStoreContract, IClassFixture<PostgresCluster>
{
    private LiveServer _server = null!;

    protected override async Task<ITrackingStore> OpenStoreAsync()
    {
        var connection = await cluster.CreateDatabaseAsync();
        _server = await LiveServer.StartAsync(openStore: folder => TrackingLocation.Parse(connection, Path.Combine(folder, "artifacts")).Open());
        return await RestTrackingStore.ConnectAsync(_server.Url);
    }

    protected override async Task<ITrackingStore> OpenSameStoreAsync() => await RestTrackingStore.ConnectAsync(_server.Url);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_server_serves_the_postgres_store_with_its_artifact_folder()
    {
        Assert.IsType<PostgresTrackingStore>(_server.Store);
        Assert.Equal(new Uri(Path.Combine(_server.Folder, "artifacts") + "/").AbsoluteUri.TrimEnd('/'), Store.DefaultArtifactRoot);
    }

    [Fact]
    public async Task TrackingServer_Start_serves_a_postgres_location_and_keeps_it_off_the_command_line()
    {
        var connection = await cluster.CreateDatabaseAsync() + ";Password=not-on-the-command-line";
        using var artifacts = new TempFolder();
        using (var server = TrackingServer.Start(connection, TrackingServerLauncherTests.Cli(), artifacts: artifacts.Path))
        {
            using (var tracker = Tracker.Open(server.Url))
            using (var run = tracker.StartRun("served from postgres"))
                run.LogMetric("acc", 0.5);
            // Other users of the machine read a process's command line (ps); the location travels in the environment.
            var commandLine = (await File.ReadAllTextAsync($"/proc/{server.ProcessId}/cmdline")).Replace('\0', ' ');
            Assert.DoesNotContain("not-on-the-command-line", commandLine);
            Assert.Contains("--artifacts " + artifacts.Path, commandLine);
            Assert.DoesNotContain("not-on-the-command-line", server.ToHtml());
            Assert.Equal(connection, server.StorePath);
        }
        await using var store = PostgresTrackingStore.Open(connection, artifacts.Path);
        var experiment = await store.GetExperimentByNameAsync("served from postgres");
        Assert.Equal(0.5, (await store.SearchRunsAsync(new RunQuery([experiment!.ExperimentId]))).Single().Metric("acc"));
    }
}
