using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>
/// <see cref="SyntheticRuns"/> writes what the store would (runs read back equal the generated ones, sampled history
/// finds their block summaries, the store's next run gets a fresh key), and <see cref="SqlTrackingStore.CountRunsAsync"/>
/// agrees with the generated data and with paging through the search — on SQLite and on PostgreSQL.
/// </summary>
public sealed class SyntheticRunsTests(PostgresCluster cluster) : IClassFixture<PostgresCluster>
{
    private const int Count = 600;

    private static readonly Dictionary<string, Func<SyntheticRun, bool>> Expected = new()
    {
        [""] = _ => true,
        ["params.optimizer = 'adam'"] = r => r.Optimizer == "adam",
        ["metrics.acc > 0.5 and tags.team = 'nlp'"] = r => r.Acc > 0.5 && r.Team == "nlp",
        ["metrics.loss < 0.1 or params.lr = '0.003'"] = r => r.Loss < 0.1 || r.Lr == "0.003",
    };

    [Fact]
    public async Task Sqlite_seeded_runs_read_back_as_generated_and_count()
    {
        using var folder = new TempFolder();
        var experimentId = await SyntheticRuns.SeedSqliteAsync(folder.Path, "synthetic", Count);
        await using var store = SqliteTrackingStore.Open(folder.Path);
        await CheckAsync(store, experimentId);
    }

    [Fact]
    [Trait("Category", "Postgres")]
    public async Task Postgres_seeded_runs_read_back_as_generated_and_count()
    {
        using var artifacts = new TempFolder();
        var connectionString = await cluster.CreateDatabaseAsync();
        var experimentId = await SyntheticRuns.SeedPostgresAsync(connectionString, artifacts.Path, "synthetic", Count);
        await using var store = PostgresTrackingStore.Open(connectionString, artifacts.Path);
        await CheckAsync(store, experimentId);
    }

    private static async Task CheckAsync(SqlTrackingStore store, string experimentId)
    {
        var generated = SyntheticRuns.Generate(Count).ToList();
        var all = new List<Run>();
        string? token = null;
        do
        {
            var page = await store.SearchRunsAsync(new RunQuery([experimentId], null, ["attributes.start_time ASC"], 250, token));
            all.AddRange(page);
            token = page.NextPageToken;
        } while (token is not null);
        Assert.Equal(generated.Select(g => g.Name), all.Select(r => r.Name));
        foreach (var (g, r) in generated.Zip(all))
        {
            Assert.Equal(g.StartTime, r.Info.StartTime);
            Assert.Equal(RunStatus.Finished, r.Info.Status);
            Assert.Equal((g.Acc, g.Loss, g.TrainLoss), (r.Metric("acc"), r.Metric("loss"), r.Metric("train_loss")));
            Assert.Equal(g.Params.ToDictionary(p => p.Key, p => p.Value), r.Data.Params);
            Assert.Equal(g.Team, r.Data.Tags["team"]);
        }
        var last = all[^1];
        var sampled = await store.GetMetricHistorySampledAsync([last.RunId], "loss");
        Assert.Equal([generated[^1].Loss], sampled.Single().Points.Select(p => p.Value));

        foreach (var (filter, matches) in Expected)
        {
            var expected = generated.Count(matches);
            Assert.InRange(expected, 1, Count);
            Assert.Equal(expected, await store.CountRunsAsync([experimentId], filter.Length == 0 ? null : filter));
            var found = 0;
            token = null;
            do
            {
                var page = await store.SearchRunsAsync(new RunQuery([experimentId], filter.Length == 0 ? null : filter, ["metrics.loss DESC"], 1000, token));
                found += page.Count;
                token = page.NextPageToken;
            } while (token is not null);
            Assert.Equal(expected, found);
        }

        // The store's own next run takes a fresh key: its history is its own.
        var next = await store.CreateRunAsync(experimentId, "after", 1, "test");
        await store.LogBatchAsync(next.RunId, [new Metric("loss", 42, 1, 0)], [], []);
        Assert.Equal([42.0], (await store.GetMetricHistoryAsync(next.RunId, "loss")).Select(m => m.Value));
        Assert.Equal([generated[^1].Loss], (await store.GetMetricHistoryAsync(last.RunId, "loss")).Select(m => m.Value));
        Assert.Equal(Count + 1, await store.CountRunsAsync([experimentId], null));
    }
}
