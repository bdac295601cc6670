using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>The store contract against the embedded SQLite store in a fresh temp folder.</summary>
public sealed class SqliteTrackingStoreTests : TrackingStoreContract
{
    private readonly TempFolder _folder = new();

    protected override Task<ITrackingStore> OpenStoreAsync() => Task.FromResult<ITrackingStore>(SqliteTrackingStore.Open(_folder.Path));

    protected override Task<ITrackingStore> OpenSameStoreAsync() => OpenStoreAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Store_folder_holds_a_wal_database_and_reopens_with_its_data()
    {
        var run = await Store.CreateRunAsync("0", "persisted", 1, "u");
        await Store.LogBatchAsync(run.RunId, [new Metric("m", 2.5, 3, 1)], [new Param("p", "v")], []);
        await Store.DisposeAsync();
        Assert.True(File.Exists(System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)));
        Assert.True(Directory.Exists(System.IO.Path.Combine(_folder.Path, "artifacts")));

        await using var reopened = SqliteTrackingStore.Open(_folder.Path);
        var again = await reopened.GetRunAsync(run.RunId);
        Assert.Equal((2.5, "v"), (again.Metric("m"), again.Param("p")));
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
        // Reopen so the base class disposes a live store.
        await InitializeAsync();
    }

    [Fact]
    public async Task Like_is_case_sensitive_and_treats_glob_characters_literally()
    {
        var id = await Store.CreateExperimentAsync("glob");
        foreach (var value in new[] { "a*b", "axb", "A*B", "a?b", "a[b" })
        {
            var run = await Store.CreateRunAsync(id, value, 0, "u");
            await Store.LogBatchAsync(run.RunId, [], [new Param("p", value)], []);
        }
        async Task<string[]> Names(string filter) =>
            (await Store.SearchRunsAsync(new RunQuery([id], filter))).Select(r => r.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["a*b"], await Names("params.p LIKE 'a*b'"));
        Assert.Equal(["a?b"], await Names("params.p LIKE 'a?b'"));
        Assert.Equal(["a[b"], await Names("params.p LIKE 'a[b'"));
        Assert.Equal(["a*b", "a?b", "a[b", "axb"], await Names("params.p LIKE 'a_b'"));
        Assert.Equal(["A*B", "a*b"], await Names("params.p ILIKE 'a*b'"));
    }

    [Fact]
    public async Task Block_summaries_follow_every_write_out_of_order_repeated_and_nan()
    {
        var run = await Store.CreateRunAsync("0", "blocks", 0, "u");
        var rng = new Random(11);
        var points = Enumerable.Range(0, 1500).Select(i => new Metric(i % 3 == 0 ? "a" : "b",
            i % 50 == 7 ? double.NaN : Math.Round(rng.NextDouble() * 10, 1), 100 + i % 4, rng.Next(-100, 900))).ToList();
        foreach (var batch in points.Chunk(250)) await Store.LogBatchAsync(run.RunId, batch, [], []);
        // The same points again: every one repeats a (step, timestamp), so their blocks are recomputed.
        await Store.LogBatchAsync(run.RunId, points.Take(400).ToList(), [], []);
        BlockSummaries.AssertMatchHistory(System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName));
    }

    [Theory]
    [InlineData("metrics.acc DESC", null)]
    [InlineData("metrics.acc ASC", null)]
    [InlineData("metrics.acc DESC", "params.optimizer = 'adam'")]
    [InlineData("metrics.acc DESC", "metrics.loss < 0.5 and attributes.status = 'RUNNING'")]
    [InlineData(null, null)]
    [InlineData("attributes.start_time DESC", "tags.team = 'a'")]
    public async Task Searches_ordered_by_a_metric_or_by_start_time_walk_an_index_without_sorting(string? orderBy, string? filter)
    {
        var id = await Store.CreateExperimentAsync("plans");
        var rng = new Random(5);
        for (var i = 0; i < 60; i++)
        {
            var run = await Store.CreateRunAsync(id, null, 1_000 + i % 20, "u");
            var metrics = i % 9 == 4 ? new List<Metric>() : [new Metric("acc", i % 11 == 0 ? double.NaN : Math.Round(rng.NextDouble(), 1), 1, 0), new Metric("loss", rng.NextDouble(), 1, 0)];
            await Store.LogBatchAsync(run.RunId, metrics, [new Param("optimizer", i % 2 == 0 ? "adam" : "sgd")], [new RunTag("team", i % 3 == 0 ? "a" : "b")]);
        }
        var store = (SqliteTrackingStore)Store;
        var statements = new List<(string Sql, KeyValuePair<string, object>[] Parameters)>();
        store.SearchStatementObserver = (sql, parameters) => statements.Add((sql, parameters.ToArray()));
        string[] order = orderBy is null ? [] : [orderBy];
        // Three pages: the first, one from a token in the middle of the runs with a value, and one among those without.
        var page = await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 10));
        page = await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 10, PageToken: page.NextPageToken));
        await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 40, PageToken: page.NextPageToken));
        store.SearchStatementObserver = null;

        Assert.NotEmpty(statements);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)}");
        connection.Open();
        connection.CreateFunction("cw_lower", (string? v) => v?.ToLowerInvariant(), isDeterministic: true);
        foreach (var (sql, parameters) in statements)
        {
            using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var (name, value) in parameters) explain.Parameters.AddWithValue(name, value);
            var plan = new List<string>();
            using (var r = explain.ExecuteReader())
                while (r.Read()) plan.Add(r.GetString(3));
            Assert.False(plan.Any(step => step.Contains("TEMP B-TREE", StringComparison.Ordinal)), $"{sql}\n{string.Join("\n", plan)}");
        }
    }
}

/// <summary>A temp folder deleted with its contents on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cw-tracking-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
