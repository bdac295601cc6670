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
        // Every term here matches too many of these runs to start from (as on a big store).
        store.DrivingTermLimit = 1;
        var statements = new List<(string Sql, KeyValuePair<string, object>[] Parameters)>();
        store.SearchStatementObserver = (sql, parameters) => statements.Add((sql, parameters.ToArray()));
        string[] order = orderBy is null ? [] : [orderBy];
        // Three pages: the first, one from a token in the middle of the runs with a value, and one among those without.
        var page = await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 10));
        page = await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 10, PageToken: page.NextPageToken));
        await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 40, PageToken: page.NextPageToken));
        store.SearchStatementObserver = null;

        Assert.NotEmpty(statements);
        foreach (var (sql, parameters) in statements)
        {
            var plan = Plan(sql, parameters);
            Assert.False(plan.Any(step => step.Contains("TEMP B-TREE", StringComparison.Ordinal)), $"{sql}\n{string.Join("\n", plan)}");
            // Each filter term is one primary-key probe per run reached, never a scan of the term's (key, value) index
            // per run (SQLite 3.53 plans an EXISTS that way: key=? AND value>?, for every run).
            Assert.All(plan.Where(step => step.StartsWith("SEARCH x ", StringComparison.Ordinal)),
                step => Assert.Equal("SEARCH x USING PRIMARY KEY (run_uuid=? AND key=?)", step));
        }
    }

    /// <summary>SQLite's query plan of a search statement, one step a line, over the test's store file.</summary>
    private List<string> Plan(string sql, IEnumerable<KeyValuePair<string, object>> parameters)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={System.IO.Path.Combine(_folder.Path, SqliteTrackingStore.DatabaseFileName)}");
        connection.Open();
        connection.CreateFunction("cw_lower", (string? v) => v?.ToLowerInvariant(), isDeterministic: true);
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters) explain.Parameters.AddWithValue(name, value);
        var plan = new List<string>();
        using var r = explain.ExecuteReader();
        while (r.Read()) plan.Add(r.GetString(3));
        return plan;
    }

    [Theory]
    [InlineData("metrics.acc DESC", "params.seed = 's7'")]
    [InlineData("metrics.acc DESC", "params.optimizer = 'adam' and tags.team IN ('x', 'z')")]
    [InlineData(null, "metrics.loss > 0.99")]
    public async Task A_term_matching_few_runs_is_where_the_search_starts(string? orderBy, string? filter)
    {
        var id = await Store.CreateExperimentAsync("selective");
        for (var i = 0; i < 40; i++)
        {
            var run = await Store.CreateRunAsync(id, null, 1_000 + i, "u");
            await Store.LogBatchAsync(run.RunId, [new Metric("acc", i / 40.0, 1, 0), new Metric("loss", i == 3 ? 0.995 : 0.5, 1, 0)],
                [new Param("optimizer", i % 2 == 0 ? "adam" : "sgd"), new Param("seed", $"s{i}")], [new RunTag("team", i == 8 ? "z" : "a")]);
        }
        var store = (SqliteTrackingStore)Store;
        store.DrivingTermLimit = 5;
        var statements = new List<(string Sql, KeyValuePair<string, object>[] Parameters)>();
        store.SearchStatementObserver = (sql, parameters) => statements.Add((sql, parameters.ToArray()));
        var page = await Store.SearchRunsAsync(new RunQuery([id], filter, orderBy is null ? [] : [orderBy], MaxResults: 10));
        store.SearchStatementObserver = null;

        Assert.Single(page);
        var (text, plan) = Assert.Single(statements.Select(s => (s.Sql, Plan(s.Sql, s.Parameters))));
        // The matching runs are listed from the term's (key, value) index and looked up by id; nothing walks the experiment.
        Assert.Contains(plan, step => step.StartsWith("SEARCH r USING INDEX sqlite_autoindex_runs_1 (run_uuid=?)", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.StartsWith("LIST SUBQUERY", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("ix_runs_order", StringComparison.Ordinal) || step.Contains("ix_latest_asc", StringComparison.Ordinal) || step.Contains("ix_latest_desc", StringComparison.Ordinal));
        Assert.Contains("+r.experiment_id", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walking_and_starting_from_a_term_return_the_same_pages()
    {
        var id = await Store.CreateExperimentAsync("both plans");
        var rng = new Random(17);
        for (var i = 0; i < 120; i++)
        {
            var run = await Store.CreateRunAsync(id, null, 1_000 + i % 25, "u");
            var metrics = new List<Metric>();
            if (i % 7 != 3) metrics.Add(new Metric("acc", i % 13 == 0 ? double.NaN : Math.Round(rng.NextDouble(), 1), 1, 0));
            if (i % 5 != 1) metrics.Add(new Metric("loss", Math.Round(rng.NextDouble(), 2), 1, 0));
            await Store.LogBatchAsync(run.RunId, metrics, [new Param("optimizer", i % 3 == 0 ? "adam" : "sgd"), new Param("lr", (i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture))],
                i % 6 == 0 ? [] : [new RunTag("team", i % 4 == 0 ? "a" : "b")]);
        }
        var store = (SqliteTrackingStore)Store;
        foreach (var (filter, order) in new (string?, string[])[]
                 {
                     ("params.optimizer = 'adam'", ["metrics.acc DESC"]),
                     ("metrics.acc > 0.3 and params.optimizer = 'sgd'", ["metrics.loss ASC"]),
                     ("tags.team = 'a' and params.lr IN ('0', '2')", ["metrics.acc ASC"]),
                     ("params.lr != '0' and metrics.loss <= 0.5", []),
                     ("tags.team LIKE 'b%'", ["attributes.start_time ASC"]),
                     ("metrics.acc >= 0.5 and metrics.loss < 0.9", ["metrics.acc DESC"]),
                 })
        {
            store.DrivingTermLimit = 1;
            var walked = await AllPagesAsync(filter, order);
            store.DrivingTermLimit = 1_000;
            var started = await AllPagesAsync(filter, order);
            Assert.True(walked.Count > 7, $"{filter}: {walked.Count} runs");
            Assert.True(walked.SequenceEqual(started), $"{filter} by {string.Join(", ", order)}:\n{string.Join(" ", walked)}\n{string.Join(" ", started)}");
        }

        async Task<List<string>> AllPagesAsync(string? filter, string[] order)
        {
            var ids = new List<string>();
            string? token = null;
            do
            {
                var page = await Store.SearchRunsAsync(new RunQuery([id], filter, order, MaxResults: 7, PageToken: token));
                ids.AddRange(page.Select(r => r.RunId));
                token = page.NextPageToken;
            } while (token is not null);
            return ids;
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
