using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

/// <summary>
/// The behaviour every <see cref="ITrackingStore"/> must have, written once. A store's test class derives from this
/// and says how to open a fresh, empty store (SQLite: a temp folder; PostgreSQL: a throwaway database; REST: a
/// server over either). Expected results are computed here from the logged data with LINQ, independently of SQL.
/// </summary>
public abstract class TrackingStoreContract : IAsyncLifetime
{
    protected ITrackingStore Store { get; private set; } = null!;

    /// <summary>Opens a fresh store with nothing but the default experiment.</summary>
    protected abstract Task<ITrackingStore> OpenStoreAsync();

    /// <summary>Opens a second, independent store object over the same data (another process would do this).</summary>
    protected abstract Task<ITrackingStore> OpenSameStoreAsync();

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public virtual async Task DisposeAsync() => await Store.DisposeAsync();

    private async Task<Run> NewRunAsync(string experimentId = "0", string? name = null, long start = 1_000) =>
        await Store.CreateRunAsync(experimentId, name, start, "tester");

    // ---------------- experiments ----------------

    [Fact]
    public async Task Default_experiment_exists()
    {
        var e = await Store.GetExperimentAsync("0");
        Assert.Equal("Default", e.Name);
        Assert.Equal(LifecycleStage.Active, e.LifecycleStage);
    }

    [Fact]
    public async Task Experiment_names_are_unique_and_lookups_report_missing()
    {
        var id = await Store.CreateExperimentAsync("penguins", tags: [new ExperimentTag("team", "birds")]);
        var e = await Store.GetExperimentAsync(id);
        Assert.Equal(("penguins", "birds"), (e.Name, e.Tags["team"]));
        Assert.Equal(id, (await Store.GetExperimentByNameAsync("penguins"))!.ExperimentId);
        Assert.Null(await Store.GetExperimentByNameAsync("nope"));

        var dup = await Assert.ThrowsAsync<TrackingException>(() => Store.CreateExperimentAsync("penguins"));
        Assert.Equal("RESOURCE_ALREADY_EXISTS", dup.ErrorCode);
        var missing = await Assert.ThrowsAsync<TrackingException>(() => Store.GetExperimentAsync("999"));
        Assert.Equal(("RESOURCE_DOES_NOT_EXIST", "experiment_id", 404), (missing.ErrorCode, missing.Field, missing.HttpStatus));
        var empty = await Assert.ThrowsAsync<TrackingException>(() => Store.CreateExperimentAsync(""));
        Assert.Equal("name", empty.Field);
    }

    [Fact]
    public async Task Deleting_an_experiment_soft_deletes_its_runs_and_restore_brings_them_back()
    {
        var id = await Store.CreateExperimentAsync("soft");
        var kept = await NewRunAsync(id);
        var deletedBefore = await NewRunAsync(id);
        await Store.DeleteRunAsync(deletedBefore.RunId);

        await Store.DeleteExperimentAsync(id);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetExperimentAsync(id)).LifecycleStage);
        Assert.DoesNotContain(await Store.SearchExperimentsAsync(), x => x.ExperimentId == id);
        Assert.Contains(await Store.SearchExperimentsAsync(ViewType.DeletedOnly), x => x.ExperimentId == id);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetRunAsync(kept.RunId)).Info.LifecycleStage);
        Assert.Equal("INVALID_STATE", (await Assert.ThrowsAsync<TrackingException>(() => Store.RenameExperimentAsync(id, "x"))).ErrorCode);
        Assert.Equal("INVALID_STATE", (await Assert.ThrowsAsync<TrackingException>(() => Store.DeleteExperimentAsync(id))).ErrorCode);
        await Assert.ThrowsAsync<TrackingException>(() => Store.CreateRunAsync(id, null, 0, "u"));

        await Store.RestoreExperimentAsync(id);
        Assert.Equal(LifecycleStage.Active, (await Store.GetRunAsync(kept.RunId)).Info.LifecycleStage);
        // A run deleted on its own before the experiment stays deleted.
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetRunAsync(deletedBefore.RunId)).Info.LifecycleStage);

        await Store.RenameExperimentAsync(id, "renamed");
        Assert.Equal("renamed", (await Store.GetExperimentAsync(id)).Name);
        await Store.CreateExperimentAsync("taken");
        Assert.Equal("RESOURCE_ALREADY_EXISTS", (await Assert.ThrowsAsync<TrackingException>(() => Store.RenameExperimentAsync(id, "taken"))).ErrorCode);
    }

    // ---------------- runs ----------------

    [Fact]
    public async Task New_run_is_running_with_its_name_mirrored_in_a_tag()
    {
        var id = await Store.CreateExperimentAsync("runs");
        var run = await Store.CreateRunAsync(id, "lr-0.01", 1234, "ada", [new RunTag("k", "v")]);
        Assert.Equal(RunStatus.Running, run.Info.Status);
        Assert.Equal(("lr-0.01", "ada", 1234L, (long?)null), (run.Info.RunName, run.Info.UserId, run.Info.StartTime, run.Info.EndTime));
        Assert.Equal("lr-0.01", run.Data.Tags[SystemTags.RunName]);
        Assert.Equal("v", run.Data.Tags["k"]);
        Assert.Matches("^[0-9a-f]{32}$", run.RunId);
        var experiment = await Store.GetExperimentAsync(id);
        Assert.Equal($"{experiment.ArtifactLocation}/{run.RunId}/artifacts", run.Info.ArtifactUri);

        var generated = await Store.CreateRunAsync(id, null, 0, "ada");
        Assert.Matches("^[a-z]+-[a-z]+-[0-9]{3}$", generated.Name);
        var fromTag = await Store.CreateRunAsync(id, null, 0, "ada", [new RunTag(SystemTags.RunName, "tagged")]);
        Assert.Equal("tagged", fromTag.Name);

        var missing = await Assert.ThrowsAsync<TrackingException>(() => Store.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(("RESOURCE_DOES_NOT_EXIST", "run_id"), (missing.ErrorCode, missing.Field));
        Assert.Equal("INVALID_PARAMETER_VALUE", (await Assert.ThrowsAsync<TrackingException>(() => Store.GetRunAsync("../etc"))).ErrorCode);
    }

    [Fact]
    public async Task Update_sets_status_end_time_and_name()
    {
        var run = await NewRunAsync();
        var info = await Store.UpdateRunAsync(run.RunId, RunStatus.Killed, 5000, "renamed");
        Assert.Equal((RunStatus.Killed, (long?)5000, "renamed"), (info.Status, info.EndTime, info.RunName));
        Assert.Equal("renamed", (await Store.GetRunAsync(run.RunId)).Data.Tags[SystemTags.RunName]);
        Assert.Equal(TimeSpan.FromSeconds(4), info.Duration);
        // Setting the name tag renames the run too.
        await Store.LogBatchAsync(run.RunId, [], [], [new RunTag(SystemTags.RunName, "by-tag")]);
        Assert.Equal("by-tag", (await Store.GetRunAsync(run.RunId)).Info.RunName);
    }

    [Fact]
    public async Task Params_are_write_once_same_value_accepted()
    {
        var run = await NewRunAsync();
        await Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.01")], []);
        await Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.01")], []);
        var e = await Assert.ThrowsAsync<TrackingException>(() => Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.02")], []));
        Assert.Equal(("INVALID_PARAMETER_VALUE", "params[lr]"), (e.ErrorCode, e.Field));
        Assert.Contains("'0.01'", e.Message);
        Assert.Contains("'0.02'", e.Message);
        Assert.Equal("0.01", (await Store.GetRunAsync(run.RunId)).Param("lr"));
    }

    [Fact]
    public async Task A_rejected_batch_writes_nothing()
    {
        var run = await NewRunAsync();
        await Store.LogBatchAsync(run.RunId, [], [new Param("lr", "1")], []);
        await Assert.ThrowsAsync<TrackingException>(() =>
            Store.LogBatchAsync(run.RunId, [new Metric("loss", 0.5, 10)], [new Param("lr", "2")], [new RunTag("t", "x")]));
        var after = await Store.GetRunAsync(run.RunId);
        Assert.Empty(after.Data.Metrics);
        Assert.False(after.Data.Tags.ContainsKey("t"));
        Assert.Empty(await Store.GetMetricHistoryAsync(run.RunId, "loss"));
    }

    [Fact]
    public async Task Metrics_keep_nan_clamp_infinity_and_pick_latest_by_step_timestamp_value()
    {
        var run = await NewRunAsync();
        // reference/mlflow_semantics.py: the latest of these (step, timestamp, value) is (2, 50, 0.3).
        foreach (var (step, ts, value) in new[] { (2L, 50L, 0.1), (0L, 100L, 0.5), (2L, 40L, 5.0), (2L, 50L, 0.3), (1L, 999L, 0.9) })
            await Store.LogBatchAsync(run.RunId, [new Metric("acc", value, ts, step)], [], []);
        await Store.LogBatchAsync(run.RunId, [new Metric("nan", double.NaN, 1, 0), new Metric("inf", double.PositiveInfinity, 1, 0), new Metric("ninf", double.NegativeInfinity, 1, 0)], [], []);
        // A NaN at an earlier (step, timestamp) goes to the history only.
        await Store.LogBatchAsync(run.RunId, [new Metric("acc", double.NaN, 10, 0)], [], []);

        var data = (await Store.GetRunAsync(run.RunId)).Data;
        Assert.Equal(new Metric("acc", 0.3, 50, 2), data.Metrics["acc"]);
        Assert.True(double.IsNaN(data.Metrics["nan"].Value));
        Assert.Equal(double.MaxValue, data.Metrics["inf"].Value);
        Assert.Equal(-double.MaxValue, data.Metrics["ninf"].Value);

        var history = await Store.GetMetricHistoryAsync(run.RunId, "acc");
        Assert.Equal([(0L, 10L), (0L, 100L), (1L, 999L), (2L, 40L), (2L, 50L), (2L, 50L)], history.Select(m => (m.Step, m.Timestamp)));
        Assert.True(double.IsNaN(history[0].Value));
    }

    [Fact]
    public async Task Nan_loses_a_tie_on_step_and_timestamp()
    {
        var run = await NewRunAsync();
        await Store.LogBatchAsync(run.RunId, [new Metric("m", 0.7, 5, 1)], [], []);
        await Store.LogBatchAsync(run.RunId, [new Metric("m", double.NaN, 5, 1)], [], []);
        Assert.Equal(0.7, (await Store.GetRunAsync(run.RunId)).Metric("m"));
    }

    [Fact]
    public async Task Tags_overwrite_and_delete()
    {
        var run = await NewRunAsync();
        await Store.LogBatchAsync(run.RunId, [], [], [new RunTag("t", "1")]);
        await Store.LogBatchAsync(run.RunId, [], [], [new RunTag("t", "2")]);
        Assert.Equal("2", (await Store.GetRunAsync(run.RunId)).Data.Tags["t"]);
        await Store.DeleteTagAsync(run.RunId, "t");
        Assert.False((await Store.GetRunAsync(run.RunId)).Data.Tags.ContainsKey("t"));
        var e = await Assert.ThrowsAsync<TrackingException>(() => Store.DeleteTagAsync(run.RunId, "t"));
        Assert.Equal(("RESOURCE_DOES_NOT_EXIST", "tags[t]"), (e.ErrorCode, e.Field));
    }

    [Fact]
    public async Task Deleted_runs_reject_logging_until_restored()
    {
        var run = await NewRunAsync();
        await Store.DeleteRunAsync(run.RunId);
        var e = await Assert.ThrowsAsync<TrackingException>(() => Store.LogBatchAsync(run.RunId, [new Metric("m", 1, 1)], [], []));
        Assert.Equal("INVALID_PARAMETER_VALUE", e.ErrorCode);
        Assert.Contains("must be in the 'active' state", e.Message);
        Assert.Equal("INVALID_STATE", (await Assert.ThrowsAsync<TrackingException>(() => Store.DeleteRunAsync(run.RunId))).ErrorCode);
        await Store.RestoreRunAsync(run.RunId);
        await Store.LogBatchAsync(run.RunId, [new Metric("m", 1, 1)], [], []);
        Assert.Equal(1.0, (await Store.GetRunAsync(run.RunId)).Metric("m"));
    }

    [Fact]
    public async Task Concurrent_writers_on_separate_connections_lose_nothing()
    {
        var run = await NewRunAsync();
        var others = new List<ITrackingStore>();
        for (var i = 0; i < 3; i++) others.Add(await OpenSameStoreAsync());
        try
        {
            var writers = others.Prepend(Store).Select((store, w) => Task.Run(async () =>
            {
                for (var b = 0; b < 10; b++)
                {
                    var metrics = Enumerable.Range(0, 100).Select(i => new Metric("m", w, 1, w * 1000 + b * 100 + i)).ToList();
                    // Every writer logs the same param value: write-once must accept it from all of them.
                    await store.LogBatchAsync(run.RunId, metrics, [new Param("shared", "same")], [new RunTag($"writer{w}", b.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
                }
            })).ToList();
            await Task.WhenAll(writers);
        }
        finally
        {
            foreach (var s in others) await s.DisposeAsync();
        }
        var history = await Store.GetMetricHistoryAsync(run.RunId, "m");
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(w => Enumerable.Range(0, 1000).Select(i => (long)(w * 1000 + i))), history.Select(m => m.Step));
        var stored = await Store.GetRunAsync(run.RunId);
        Assert.Equal("same", stored.Param("shared"));
        Assert.Equal(new Metric("m", 3, 1, 3999), stored.Data.Metrics["m"]);
        Assert.All(Enumerable.Range(0, 4), w => Assert.Equal("9", stored.Data.Tags[$"writer{w}"]));
    }

    [Fact]
    public async Task A_read_sees_one_moment_while_another_connection_writes()
    {
        // The writer logs metric "m" = i and then renames the run "i", two commits; every moment the store passes
        // through has name <= m. A read assembled from several moments (PostgreSQL's READ COMMITTED takes a new
        // snapshot per statement, and a run is read table by table: metrics first, the runs row last) can see a
        // name newer than its metric. That is how a sweep saw a trial's new status beside its old state tag and
        // ran the configuration twice.
        var run = await NewRunAsync();
        await Store.LogBatchAsync(run.RunId, [new Metric("m", 0, 1, 0)], [], []);
        await Store.UpdateRunAsync(run.RunId, runName: "0");
        await using var writerStore = await OpenSameStoreAsync();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                await writerStore.LogBatchAsync(run.RunId, [new Metric("m", i, 1, i)], [], []);
                await writerStore.UpdateRunAsync(run.RunId, runName: i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        });
        var torn = new List<string>();
        var reads = 0;
        try
        {
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(2) && torn.Count == 0; reads++)
            {
                var seen = reads % 2 == 0
                    ? await Store.GetRunAsync(run.RunId)
                    : (await Store.SearchRunsAsync(new RunQuery(["0"], null, null, 10))).Single();
                var metric = seen.Metric("m") ?? throw new InvalidOperationException($"read {reads}: the run has no metric m");
                if (long.Parse(seen.Info.RunName, System.Globalization.CultureInfo.InvariantCulture) > metric)
                    torn.Add($"read {reads}: name {seen.Info.RunName} beside metric {metric}");
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
        Assert.True(reads > 20, $"only {reads} reads happened");
        Assert.Empty(torn);
    }

    // ---------------- heartbeats ----------------

    [Fact]
    public async Task Stale_running_runs_are_failed_at_their_last_heartbeat()
    {
        var stale = await NewRunAsync();
        var fresh = await NewRunAsync();
        var silent = await NewRunAsync(); // never sent a heartbeat: not ours to judge
        var finished = await NewRunAsync();
        await Store.HeartbeatAsync(stale.RunId, 1_000);
        await Store.HeartbeatAsync(fresh.RunId, 9_000);
        await Store.HeartbeatAsync(finished.RunId, 1_000);
        await Store.UpdateRunAsync(finished.RunId, RunStatus.Finished, 1_500);

        var failed = await Store.FailStaleRunsAsync(5_000);

        Assert.Equal([stale.RunId], failed);
        var s = await Store.GetRunAsync(stale.RunId);
        Assert.Equal((RunStatus.Failed, (long?)1_000), (s.Info.Status, s.Info.EndTime));
        Assert.Contains("heartbeat", s.Data.Tags[SystemTags.Failure]);
        Assert.Equal(RunStatus.Running, (await Store.GetRunAsync(fresh.RunId)).Info.Status);
        Assert.Equal(RunStatus.Running, (await Store.GetRunAsync(silent.RunId)).Info.Status);
        Assert.Equal(RunStatus.Finished, (await Store.GetRunAsync(finished.RunId)).Info.Status);
        Assert.Empty(await Store.FailStaleRunsAsync(5_000));
    }

    // ---------------- search ----------------

    private sealed record Seeded(string ExperimentId, List<Run> Runs);

    // 30 runs with a deterministic mix of metrics (some missing, one NaN), params and tags.
    private async Task<Seeded> SeedAsync()
    {
        var id = await Store.CreateExperimentAsync("search");
        var rng = new Random(7);
        string[] optimizers = ["adam", "sgd", "Adam", "rmsprop"];
        for (var i = 0; i < 30; i++)
        {
            var run = await Store.CreateRunAsync(id, $"run-{i:D2}", 10_000 + i * 10, i % 3 == 0 ? "ada" : "bob");
            var metrics = new List<Metric>();
            if (i % 7 != 3) metrics.Add(new Metric("acc", Math.Round(rng.NextDouble(), 3), 1, 0));
            if (i == 11) metrics.Add(new Metric("loss", double.NaN, 1, 0));
            else if (i % 2 == 0) metrics.Add(new Metric("loss", Math.Round(rng.NextDouble() * 3, 3), 1, 0));
            var @params = new List<Param> { new("optimizer", optimizers[i % 4]), new("lr", (0.001 * (i % 5 + 1)).ToString("R", System.Globalization.CultureInfo.InvariantCulture)) };
            var tags = new List<RunTag> { new("team", i % 2 == 0 ? "nlp-core" : "vision") };
            await Store.LogBatchAsync(run.RunId, metrics, @params, tags);
            if (i % 5 == 0) await Store.UpdateRunAsync(run.RunId, RunStatus.Finished, 20_000 + i);
        }
        var page = await Store.SearchRunsAsync(new RunQuery([id], MaxResults: 1000));
        Assert.Equal(30, page.Count);
        return new Seeded(id, page.ToList());
    }

    public static TheoryData<string> Filters => new()
    {
        "metrics.acc > 0.5",
        "metrics.acc <= 0.25",
        "metrics.acc != 0.5",
        "metrics.loss >= 0",
        "params.optimizer = 'adam'",
        "params.optimizer != 'adam'",
        "params.optimizer LIKE 'a%'",
        "params.optimizer ILIKE 'a%'",
        "params.optimizer LIKE '_dam'",
        "params.lr IN ('0.001', '0.003')",
        "params.lr NOT IN ('0.001', '0.003')",
        "tags.team LIKE '%-core'",
        "attributes.status = 'FINISHED'",
        "attributes.user_id = 'ada' and metrics.acc > 0.3",
        "metrics.acc > 0.8 or params.optimizer = 'sgd'",
        "(metrics.acc > 0.8 or metrics.loss < 1) and tags.team = 'vision'",
        "attributes.start_time >= 10100 and attributes.start_time < 10200",
        "attributes.end_time > 0",
        "attributes.run_name LIKE 'run-1%'",
        "params.nothing = 'x' or metrics.nothing > 0",
    };

    // Independent evaluation of the same filters over the entities (MLflow semantics: a missing key never matches).
    private static readonly Dictionary<string, Func<Run, bool>> Expected = new()
    {
        ["metrics.acc > 0.5"] = r => r.Metric("acc") > 0.5,
        ["metrics.acc <= 0.25"] = r => r.Metric("acc") <= 0.25,
        ["metrics.acc != 0.5"] = r => r.Metric("acc") is { } v && v != 0.5,
        ["metrics.loss >= 0"] = r => r.Metric("loss") >= 0, // NaN compares false
        ["params.optimizer = 'adam'"] = r => r.Param("optimizer") == "adam",
        ["params.optimizer != 'adam'"] = r => r.Param("optimizer") is { } p && p != "adam",
        ["params.optimizer LIKE 'a%'"] = r => r.Param("optimizer")?.StartsWith('a') == true,
        ["params.optimizer ILIKE 'a%'"] = r => r.Param("optimizer")?.StartsWith("a", StringComparison.OrdinalIgnoreCase) == true,
        ["params.optimizer LIKE '_dam'"] = r => r.Param("optimizer") is { Length: 4 } p && p[1..] == "dam",
        ["params.lr IN ('0.001', '0.003')"] = r => r.Param("lr") is "0.001" or "0.003",
        ["params.lr NOT IN ('0.001', '0.003')"] = r => r.Param("lr") is { } p && p is not ("0.001" or "0.003"),
        ["tags.team LIKE '%-core'"] = r => r.Data.Tags["team"].EndsWith("-core", StringComparison.Ordinal),
        ["attributes.status = 'FINISHED'"] = r => r.Info.Status == RunStatus.Finished,
        ["attributes.user_id = 'ada' and metrics.acc > 0.3"] = r => r.Info.UserId == "ada" && r.Metric("acc") > 0.3,
        ["metrics.acc > 0.8 or params.optimizer = 'sgd'"] = r => r.Metric("acc") > 0.8 || r.Param("optimizer") == "sgd",
        ["(metrics.acc > 0.8 or metrics.loss < 1) and tags.team = 'vision'"] = r => (r.Metric("acc") > 0.8 || r.Metric("loss") < 1) && r.Data.Tags["team"] == "vision",
        ["attributes.start_time >= 10100 and attributes.start_time < 10200"] = r => r.Info.StartTime is >= 10100 and < 10200,
        ["attributes.end_time > 0"] = r => r.Info.EndTime > 0,
        ["attributes.run_name LIKE 'run-1%'"] = r => r.Name.StartsWith("run-1", StringComparison.Ordinal),
        ["params.nothing = 'x' or metrics.nothing > 0"] = _ => false,
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Search_filters_match_an_independent_evaluation(string filter)
    {
        var seeded = await SeedAsync();
        var expected = seeded.Runs.Where(Expected[filter]).Select(r => r.RunId).Order().ToList();
        var page = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], filter));
        Assert.Equal(expected, page.Select(r => r.RunId).Order().ToList());
    }

    [Fact]
    public async Task Seeded_data_exercises_every_filter()
    {
        // Guards the theory above against vacuous passes: every filter but the last selects some runs and not all.
        var seeded = await SeedAsync();
        foreach (var (filter, predicate) in Expected.SkipLast(1))
            Assert.InRange(seeded.Runs.Count(predicate), 1, 29);
    }

    [Fact]
    public async Task Order_by_metric_puts_missing_and_nan_last_then_newest_first()
    {
        var seeded = await SeedAsync();
        foreach (var desc in new[] { true, false })
        {
            var page = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: [$"metrics.loss {(desc ? "DESC" : "ASC")}"]));
            var withValue = seeded.Runs.Where(r => r.Metric("loss") is { } v && !double.IsNaN(v));
            var ordered = (desc ? withValue.OrderByDescending(r => r.Metric("loss")) : withValue.OrderBy(r => r.Metric("loss")))
                .ThenByDescending(r => r.Info.StartTime)
                .Concat(seeded.Runs.Where(r => r.Metric("loss") is not { } v || double.IsNaN(v)).OrderByDescending(r => r.Info.StartTime));
            Assert.Equal(ordered.Select(r => r.Name), page.Select(r => r.Name));
        }
        var byName = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["params.optimizer", "attributes.run_name DESC"]));
        Assert.Equal(seeded.Runs.OrderBy(r => r.Param("optimizer"), StringComparer.Ordinal).ThenByDescending(r => r.Name, StringComparer.Ordinal).Select(r => r.Name),
            byName.Select(r => r.Name));
        var defaultOrder = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId]));
        Assert.Equal(seeded.Runs.OrderByDescending(r => r.Info.StartTime).Select(r => r.Name), defaultOrder.Select(r => r.Name));
    }

    [Fact]
    public async Task Paging_walks_every_run_once_and_ends_with_an_empty_page_when_the_last_is_full()
    {
        var seeded = await SeedAsync();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], MaxResults: 10, PageToken: token));
            seen.AddRange(page.Select(r => r.RunId));
            token = page.NextPageToken;
            pages++;
        } while (token is not null);
        Assert.Equal(4, pages); // 10 + 10 + 10 + an empty page, as MLflow does
        Assert.Equal(seeded.Runs.Select(r => r.RunId).Order(), seen.Order());
        Assert.Equal(30, seen.Distinct().Count());

        var bad = await Assert.ThrowsAsync<TrackingException>(() => Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], PageToken: "not-a-token")));
        Assert.Equal("page_token", bad.Field);
        var big = await Assert.ThrowsAsync<TrackingException>(() => Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], MaxResults: 50_001)));
        Assert.Equal("max_results", big.Field);
    }

    [Fact]
    public async Task Search_view_types_and_bad_filters()
    {
        var seeded = await SeedAsync();
        await Store.DeleteRunAsync(seeded.Runs[0].RunId);
        Assert.Equal(29, (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId]))).Count);
        Assert.Equal([seeded.Runs[0].RunId], (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], ViewType: ViewType.DeletedOnly))).Select(r => r.RunId));
        Assert.Equal(30, (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], ViewType: ViewType.All))).Count);

        var e = await Assert.ThrowsAsync<FilterSyntaxException>(() => Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], "metrics.acc >> 1")));
        Assert.Equal(13, e.Position);
        // Results carry full data.
        var one = (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], "attributes.run_name = 'run-04'")))[0];
        Assert.Equal(("adam", "nlp-core"), (one.Param("optimizer"), one.Data.Tags["team"]));
    }

    // ---------------- keyset paging (issue #17) ----------------

    public static TheoryData<string[]> PagingOrders => new()
    {
        new[] { "metrics.acc DESC" },
        new[] { "metrics.loss ASC" },
        System.Array.Empty<string>(),
        new[] { "params.optimizer", "attributes.run_name DESC" },
    };

    [Theory]
    [MemberData(nameof(PagingOrders))]
    public async Task Keyset_pages_return_every_run_once_in_order_while_runs_are_inserted_between_pages(string[] orderBy)
    {
        var seeded = await SeedAsync();
        var expected = (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: orderBy))).Select(r => r.RunId).ToList();
        Assert.Equal(expected, await PageThroughAsync(seeded.ExperimentId, orderBy, null));

        // Between pages, runs arrive that sort before, inside and after the pages already read (high, low and no
        // metric values, newer and older start times, names and params at both ends).
        var added = new HashSet<string>();
        var n = 0;
        var seen = await PageThroughAsync(seeded.ExperimentId, orderBy, async () =>
        {
            foreach (var (acc, start, optimizer) in new[] { (2.0, 99_999L, "aaa"), (-1.0, 1L, "zzz"), (double.NaN, 50_000L, "m") })
            {
                var run = await Store.CreateRunAsync(seeded.ExperimentId, $"new-{n++:D2}", start, "carol");
                var metrics = double.IsNaN(acc) ? new List<Metric>() : [new Metric("acc", acc, 1, 0), new Metric("loss", acc, 1, 0)];
                await Store.LogBatchAsync(run.RunId, metrics, [new Param("optimizer", optimizer)], []);
                added.Add(run.RunId);
            }
        });
        Assert.Equal(seen.Count, seen.Distinct().Count());                // nothing twice
        Assert.Equal(expected, seen.Where(id => !added.Contains(id)));     // every old run once, in the same order
    }

    [Theory]
    [InlineData("metrics.acc > 0.3", "acc", true)]
    [InlineData("metrics.loss != 0.5 and params.optimizer = 'adam'", "loss", false)]
    [InlineData("metrics.loss >= 1 and metrics.loss < 2.5", "loss", true)]
    [InlineData("metrics.acc <= 0.5 or params.optimizer = 'sgd'", "acc", false)]
    public async Task Filters_on_the_ordered_metric_itself_keep_mlflow_order_and_semantics(string filter, string key, bool descending)
    {
        var seeded = await SeedAsync();
        var matching = seeded.Runs.Where(Expected.TryGetValue(filter, out var known) ? known : FilterFor(filter)).ToList();
        double? Value(Run r) => r.Metric(key) is { } v && !double.IsNaN(v) ? v : null;
        var withValue = matching.Where(r => Value(r) is not null);
        var expected = (descending ? withValue.OrderByDescending(Value) : withValue.OrderBy(Value)).ThenByDescending(r => r.Info.StartTime)
            .Concat(matching.Where(r => Value(r) is null).OrderByDescending(r => r.Info.StartTime)).Select(r => r.Name).ToList();
        Assert.NotEmpty(expected);
        var order = new[] { $"metrics.{key} {(descending ? "DESC" : "ASC")}" };
        Assert.Equal(expected, (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], filter, order))).Select(r => r.Name));
        Assert.Equal(expected, (await PageThroughAsync(seeded.ExperimentId, order, null, filter)).Select(id => seeded.Runs.Single(r => r.RunId == id).Name));
    }

    private static Func<Run, bool> FilterFor(string filter) => filter switch
    {
        "metrics.acc > 0.3" => r => r.Metric("acc") > 0.3,
        "metrics.loss != 0.5 and params.optimizer = 'adam'" => r => r.Metric("loss") is { } v && v != 0.5 && !double.IsNaN(v) && r.Param("optimizer") == "adam",
        "metrics.loss >= 1 and metrics.loss < 2.5" => r => r.Metric("loss") is >= 1 and < 2.5,
        "metrics.acc <= 0.5 or params.optimizer = 'sgd'" => r => r.Metric("acc") <= 0.5 || r.Param("optimizer") == "sgd",
        _ => throw new ArgumentOutOfRangeException(nameof(filter)),
    };

    private async Task<List<string>> PageThroughAsync(string experimentId, string[] orderBy, Func<Task>? betweenPages, string? filter = null)
    {
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await Store.SearchRunsAsync(new RunQuery([experimentId], filter, orderBy, MaxResults: 7, PageToken: token));
            seen.AddRange(page.Select(r => r.RunId));
            token = page.NextPageToken;
            if (betweenPages is not null && token is not null) await betweenPages();
        } while (token is not null);
        return seen;
    }

    [Fact]
    public async Task Mlflow_offset_tokens_are_still_read_and_a_token_only_fits_its_own_order()
    {
        var seeded = await SeedAsync();
        var all = (await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["metrics.acc DESC"]))).Select(r => r.RunId).ToList();
        var offset = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("{\"offset\": 10}"));
        var page = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["metrics.acc DESC"], MaxResults: 10, PageToken: offset));
        Assert.Equal(all.Skip(10).Take(10), page.Select(r => r.RunId));
        var next = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["metrics.acc DESC"], MaxResults: 10, PageToken: page.NextPageToken));
        Assert.Equal(all.Skip(20), next.Select(r => r.RunId));

        var first = await Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["metrics.acc DESC"], MaxResults: 5));
        var e = await Assert.ThrowsAsync<TrackingException>(() =>
            Store.SearchRunsAsync(new RunQuery([seeded.ExperimentId], OrderBy: ["metrics.loss DESC"], MaxResults: 5, PageToken: first.NextPageToken)));
        Assert.Equal(("page_token", TrackingErrorCode.InvalidParameterValue), (e.Field, e.Code));
        Assert.Contains("order_by", e.Message);
    }

    // ---------------- sampled history (issue #17) ----------------

    [Fact]
    public async Task Sampled_history_keeps_each_buckets_lowest_and_highest_point_like_a_brute_force_reference()
    {
        var rng = new Random(3);
        var big = await NewRunAsync();
        var small = await NewRunAsync();
        var points = new List<Metric>();
        for (var i = 0; i < 997; i++)
        {
            var step = i / 3 * 2; // every other step, three points per step (two share a timestamp)
            var value = i % 97 == 5 ? double.NaN : i == 601 ? 1e6 : Math.Round(rng.NextDouble(), 4);
            points.Add(new Metric("loss", value, 1_000 + i - i % 2, step));
        }
        // In shuffled batches, so block summaries are merged across batches (and some batches repeat a (step, timestamp)).
        foreach (var batch in points.OrderBy(_ => rng.Next()).Chunk(300)) await Store.LogBatchAsync(big.RunId, batch, [], []);
        await Store.LogBatchAsync(small.RunId, Enumerable.Range(0, 40).Select(i => new Metric("loss", -i, 7, i * 17)).ToList(), [], []);
        var histories = new[] { await Store.GetMetricHistoryAsync(big.RunId, "loss"), await Store.GetMetricHistoryAsync(small.RunId, "loss") };

        foreach (var (max, lo, hi) in new (int, long?, long?)[] { (50, null, null), (2500, null, null), (7, null, null), (1, null, null), (20, null, null), (40, 100, 300), (13, 0, 0), (4, 3, 650) })
        {
            var sampled = await Store.GetMetricHistorySampledAsync([big.RunId, small.RunId], "loss", lo, hi, max);
            var (from, to) = lo is null ? (histories.SelectMany(h => h).Min(m => m.Step), histories.SelectMany(h => h).Max(m => m.Step)) : (lo.Value, hi!.Value);
            Assert.Equal([big.RunId, small.RunId], sampled.Select(h => h.RunId));
            for (var r = 0; r < 2; r++)
                Assert.Equal(ReferenceSample(histories[r], from, to, max), sampled[r].Points);
        }
        // The spike survives any sampling, and so does the lowest point.
        var tiny = (await Store.GetMetricHistorySampledAsync([big.RunId], "loss", maxResults: 2))[0].Points;
        Assert.Contains(tiny, m => m.Value == 1e6);
        Assert.Contains(tiny, m => m.Value == points.Where(p => !double.IsNaN(p.Value)).Min(p => p.Value));

        Assert.Empty((await Store.GetMetricHistorySampledAsync([big.RunId], "never-logged"))[0].Points);
        var missing = await Assert.ThrowsAsync<TrackingException>(() => Store.GetMetricHistorySampledAsync([big.RunId, new string('f', 32)], "loss"));
        Assert.Equal(TrackingErrorCode.ResourceDoesNotExist, missing.Code);
        var half = await Assert.ThrowsAsync<TrackingException>(() => Store.GetMetricHistorySampledAsync([big.RunId], "loss", startStep: 3));
        Assert.Equal(TrackingErrorCode.InvalidParameterValue, half.Code);
        var tooMany = await Assert.ThrowsAsync<TrackingException>(() => Store.GetMetricHistorySampledAsync([big.RunId], "loss", maxResults: 2501));
        Assert.Equal("max_results", tooMany.Field);
    }

    // The documented sampling, by brute force over the full history: every point when few enough, else per bucket the
    // first lowest and first highest non-NaN point, in history order.
    private static List<Metric> ReferenceSample(IReadOnlyList<Metric> history, long lo, long hi, int max)
    {
        var inRange = history.Where(m => m.Step >= lo && m.Step <= hi).ToList();
        if (inRange.Count <= max) return inRange;
        var result = new List<Metric>();
        var buckets = MetricSampling.Buckets(max);
        for (var b = 0; b < buckets; b++)
        {
            var (from, to) = MetricSampling.Bucket(lo, hi, buckets, b);
            var indexed = inRange.Select((m, i) => (m, i)).Where(x => x.m.Step >= from && x.m.Step <= to && !double.IsNaN(x.m.Value)).ToList();
            if (indexed.Count == 0) continue;
            var low = indexed.OrderBy(x => x.m.Value).ThenBy(x => x.i).First();
            var high = indexed.OrderByDescending(x => x.m.Value).ThenBy(x => x.i).First();
            result.AddRange(new[] { low, high }.DistinctBy(x => x.i).OrderBy(x => x.i).Select(x => x.m));
        }
        return result;
    }
}
