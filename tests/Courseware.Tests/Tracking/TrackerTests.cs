using Courseware.Notebooks;
using System.Diagnostics;
using Courseware.Tracking;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Tracking;

public sealed class TrackerTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Tracker _tracker;

    public TrackerTests() => _tracker = Tracker.Open(_folder.Path);

    public void Dispose()
    {
        _tracker.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Disposed_run_is_finished_with_system_tags()
    {
        string id;
        using (var run = _tracker.StartRun("penguins", name: "lr-0.01"))
        {
            id = run.RunId;
            run.LogParams(new { lr = 0.01, epochs = 20, shuffle = true });
            run.LogMetric("val/acc", 0.93, step: 5);
        }
        var stored = await _tracker.GetRunAsync(id);
        Assert.Equal(RunStatus.Finished, stored.Info.Status);
        Assert.NotNull(stored.Info.EndTime);
        Assert.Equal(("0.01", "20", "true"), (stored.Param("lr"), stored.Param("epochs"), stored.Param("shuffle")));
        Assert.Equal(new Metric("val/acc", 0.93, stored.Data.Metrics["val/acc"].Timestamp, 5), stored.Data.Metrics["val/acc"]);
        var tags = stored.Data.Tags;
        Assert.Equal("lr-0.01", tags[SystemTags.RunName]);
        Assert.Equal(Environment.UserName, tags[SystemTags.User]);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, tags[SystemTags.Runtime]);
        Assert.Contains($"{Environment.ProcessorCount} logical cores", tags[SystemTags.Cpu]);
        Assert.True(tags.ContainsKey(SystemTags.Gpu) && tags.ContainsKey(SystemTags.OperatingSystem) && tags.ContainsKey(SystemTags.SourceName));
        Assert.Equal("LOCAL", tags[SystemTags.SourceType]);
        Assert.Equal(GitHead(), tags.GetValueOrDefault(SystemTags.GitCommit));
    }

    [Fact]
    public async Task A_run_displays_as_a_table_of_params_metrics_and_user_tags_with_text_escaped()
    {
        string id;
        using (var run = _tracker.StartRun("penguins", name: "<b>bold</b>"))
        {
            id = run.RunId;
            run.LogParam("lr", 0.01);
            run.LogMetric("val/acc", 0.5, step: 1);
            run.LogMetric("val/acc", 0.75, step: 2);
            run.SetTag("team", "a&b");
        }
        var stored = await _tracker.GetRunAsync(id);
        var html = HtmlRenderers.Render(stored);
        Assert.Contains("params.lr", html);
        Assert.Contains(">0.75<", html);             // the latest value, not the first
        Assert.Contains(">2<", html);                // with its step
        Assert.Contains("a&amp;b", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>bold", html);
        Assert.DoesNotContain(SystemTags.User, html); // system tags stay out of the table
        Assert.StartsWith($"Run '<b>bold</b>' ({id}) FINISHED in ", stored.ToString());
    }

    // The commit as git itself reports it for the folder the tests run in (null outside a repository).
    private static string? GitHead()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Environment.CurrentDirectory };
            using var git = Process.Start(psi)!;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git installed: the tracker reads .git itself, but there is nothing to compare with
        }
    }

    [Fact]
    public async Task Run_helper_marks_failed_and_rethrows()
    {
        string? id = null;
        var thrown = Assert.Throws<InvalidOperationException>(() =>
            _tracker.Run("penguins", "boom", run =>
            {
                id = run.RunId;
                run.LogMetric("loss", 1.0);
                throw new InvalidOperationException("diverged at epoch 3");
            }));
        Assert.Equal("diverged at epoch 3", thrown.Message);
        var stored = await _tracker.GetRunAsync(id!);
        Assert.Equal(RunStatus.Failed, stored.Info.Status);
        Assert.Equal("System.InvalidOperationException: diverged at epoch 3", stored.Data.Tags[SystemTags.Failure]);
        Assert.Equal(1.0, stored.Metric("loss")); // metrics logged before the failure are flushed

        _tracker.Run("penguins", "fine", run => run.LogMetric("loss", 0.1));
        var fine = (await _tracker.SearchRunsAsync("penguins", "attributes.run_name = 'fine'"))[0];
        Assert.Equal(RunStatus.Finished, fine.Info.Status);

        await Assert.ThrowsAsync<TimeoutException>(() => _tracker.RunAsync("penguins", "async-boom", async _ =>
        {
            await Task.Yield();
            throw new TimeoutException();
        }));
        Assert.Equal(RunStatus.Failed, (await _tracker.SearchRunsAsync("penguins", "attributes.run_name = 'async-boom'"))[0].Info.Status);
    }

    [Fact]
    public async Task Fail_as_exception_filter_and_explicit_end()
    {
        var run = _tracker.StartRun("penguins");
        try
        {
            try { throw new ArgumentException("bad split"); }
            catch (Exception e) when (run.Fail(e)) { }
        }
        catch (ArgumentException) { }
        run.Dispose(); // already ended: stays FAILED
        Assert.Equal(RunStatus.Failed, run.EndStatus);
        Assert.Equal(RunStatus.Failed, (await _tracker.GetRunAsync(run.RunId)).Info.Status);
        var ended = Assert.Throws<TrackingException>(() => run.LogMetric("x", 1));
        Assert.Equal("INVALID_STATE", ended.ErrorCode);

        using var killed = _tracker.StartRun("penguins");
        killed.End(RunStatus.Killed);
        Assert.Equal(RunStatus.Killed, (await _tracker.GetRunAsync(killed.RunId)).Info.Status);
        Assert.Throws<TrackingException>(() => _tracker.StartRun("penguins").End(RunStatus.Running));
    }

    [Fact]
    public async Task Nested_runs_point_at_their_parent()
    {
        using var parent = _tracker.StartRun("sweep", "parent");
        using var child = _tracker.StartRun("sweep", "fold-1", parent: parent);
        Assert.Same(parent, child.Parent);
        var stored = await _tracker.GetRunAsync(child.RunId);
        Assert.Equal(parent.RunId, stored.ParentRunId);
        var children = await _tracker.SearchRunsAsync("sweep", $"tags.mlflow.parentRunId = '{parent.RunId}'");
        Assert.Equal([child.RunId], children.Select(r => r.RunId));
    }

    [Fact]
    public void Param_conflicts_throw_at_the_call()
    {
        using var run = _tracker.StartRun("penguins");
        run.LogParam("lr", 0.01);
        run.LogParam("lr", "0.01");
        var e = Assert.Throws<TrackingException>(() => run.LogParams(new { lr = 0.02 }));
        Assert.Equal("params[lr]", e.Field);
        var bad = Assert.Throws<TrackingException>(() => run.LogMetric("bad//key", 1));
        Assert.Equal("metric key", bad.Field);
        var notNumber = Assert.Throws<TrackingException>(() => run.LogMetrics(new { acc = "high" }));
        Assert.Equal("metrics[acc].value", notNumber.Field);
    }

    [Fact]
    public async Task Queued_metrics_are_all_stored_after_flush()
    {
        using var run = _tracker.StartRun("penguins");
        for (var i = 0; i < 2500; i++) run.LogMetric("loss", 1.0 / (i + 1), step: i);
        run.LogMetrics(new Dictionary<string, double> { ["a"] = 1, ["b"] = double.NaN }, step: 1);
        run.Flush();
        var history = await _tracker.GetMetricHistoryAsync(run.RunId, "loss");
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (long)i), history.Steps);
        Assert.Equal(1.0 / 2500, history.Values[^1]);
        var snapshot = await run.GetAsync();
        Assert.Equal(1.0 / 2500, snapshot.Metric("loss"));
        Assert.True(double.IsNaN(snapshot.Metric("b")!.Value));
    }

    [Fact]
    public async Task Artifacts_are_written_inside_the_run_folder_and_traversal_is_rejected()
    {
        using var run = _tracker.StartRun("penguins");
        run.LogText("hello <world>", "notes/readme.txt");
        run.LogJson(new { layers = new[] { 64, 32 } }, "config.json");
        run.LogDataFrame(new DataFrame(new Int32DataFrameColumn("x", [1, 2]), new StringDataFrameColumn("y", ["a", "b,c"])), "data/preds.csv");
        var src = Path.Combine(_folder.Path, "src");
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "model.bin"), "weights");
        File.WriteAllText(Path.Combine(src, "sub", "vocab.txt"), "a b");
        run.LogArtifact(Path.Combine(src, "model.bin"), "model");
        run.LogArtifacts(src, "bundle");

        Assert.Equal("hello <world>", await _tracker.ReadArtifactTextAsync(run.RunId, "notes/readme.txt"));
        Assert.Equal("x,y\n1,a\n2,\"b,c\"\n", (await _tracker.ReadArtifactTextAsync(run.RunId, "data/preds.csv")).ReplaceLineEndings("\n"));
        Assert.Contains("\"layers\": [", await _tracker.ReadArtifactTextAsync(run.RunId, "config.json"));
        Assert.Equal("weights", await _tracker.ReadArtifactTextAsync(run.RunId, "model/model.bin"));
        Assert.Equal("a b", await _tracker.ReadArtifactTextAsync(run.RunId, "bundle/sub/vocab.txt"));
        var root = await _tracker.ListArtifactsAsync(run.RunId);
        Assert.Equal(["bundle", "config.json", "data", "model", "notes"], root.Select(a => a.Path));
        Assert.Equal(new ArtifactInfo("notes/readme.txt", false, 13), (await _tracker.ListArtifactsAsync(run.RunId, "notes")).Single());

        var runFolder = new Uri(run.Info.ArtifactUri).LocalPath;
        Assert.StartsWith(Path.Combine(_folder.Path, "artifacts"), runFolder);
        foreach (var evil in new[] { "../escape.txt", "a/../../escape.txt", "/tmp/escape.txt", "..\\escape.txt", "C:/escape.txt", "", "./x" })
        {
            var e = Assert.Throws<TrackingException>(() => run.LogText("x", evil));
            Assert.Equal(("INVALID_PARAMETER_VALUE", "artifact_path"), (e.ErrorCode, e.Field));
        }
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(runFolder)!, "escape.txt")));
        Assert.Empty(Directory.EnumerateFiles(runFolder, "*.tmp", SearchOption.AllDirectories));
        await Assert.ThrowsAsync<TrackingException>(() => _tracker.ReadArtifactTextAsync(run.RunId, "missing.txt"));
    }

    [Fact]
    public async Task Search_results_as_dataframe_and_escaped_html_and_best_run()
    {
        var accs = new[] { 0.71, 0.93, 0.85 };
        for (var i = 0; i < accs.Length; i++)
        {
            using var run = _tracker.StartRun("leaderboard", name: i == 1 ? "<b>best</b>" : $"run-{i}");
            run.LogParams(new { depth = i + 2 });
            run.LogMetric("acc", accs[i]);
        }
        using (_tracker.StartRun("leaderboard", name: "no-metric")) { }

        var page = await _tracker.SearchRunsAsync("leaderboard", orderBy: ["metrics.acc DESC"]);
        Assert.Equal(["<b>best</b>", "run-2", "run-0", "no-metric"], page.Select(r => r.Name));
        var df = page.ToDataFrame();
        Assert.Equal(4, df.Rows.Count);
        Assert.Equal(0.93, (double)df["metrics.acc"][0]);
        Assert.Null(df["metrics.acc"][3]);
        Assert.Equal("3", df["params.depth"][0]);
        Assert.Equal("FINISHED", df["status"][0]);
        Assert.Contains("tags.mlflow.user", df.Columns.Select(c => c.Name));

        var html = HtmlRenderers.Render(page);
        Assert.Contains("&lt;b&gt;best&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>best", html);
        Assert.Contains("metrics.acc", html);

        Assert.Equal("<b>best</b>", (await _tracker.BestRunAsync("leaderboard", "acc"))!.Name);
        Assert.Equal("run-0", (await _tracker.BestRunAsync("leaderboard", "acc", maximize: false))!.Name);
        Assert.Equal("run-2", (await _tracker.BestRunAsync("leaderboard", "acc", filter: "params.depth != '3'"))!.Name);
        Assert.Null(await _tracker.BestRunAsync("leaderboard", "f1"));

        var missing = await Assert.ThrowsAsync<TrackingException>(() => _tracker.SearchRunsAsync("nope"));
        Assert.Equal(("RESOURCE_DOES_NOT_EXIST", "experiment"), (missing.ErrorCode, missing.Field));
    }

    [Fact]
    public async Task Compare_runs_and_metric_history_views()
    {
        var ids = new List<string>();
        foreach (var lr in new[] { 0.1, 0.01 })
        {
            using var run = _tracker.StartRun("compare");
            run.LogParams(new { lr, epochs = 5 });
            for (var s = 0; s < 100; s++) run.LogMetric("loss", s == 37 ? 50 : 1.0 / (s + 1), step: s);
            ids.Add(run.RunId);
        }
        var comparison = await _tracker.CompareRunsAsync(ids);
        Assert.Equal(["lr"], comparison.DifferingParams);
        Assert.Equal(["epochs", "lr"], comparison.ParamKeys);
        Assert.Contains("≠ params.lr", HtmlRenderers.Render(comparison));

        var history = await _tracker.GetMetricHistoryAsync(ids[0], "loss");
        Assert.Equal(100, history.Points.Count);
        var html = HtmlRenderers.Render(history);
        Assert.Contains(">50<", html); // the spike at step 37 survives thinning
        Assert.Contains("0.01<", html); // so does the last value (1/100)
        Assert.Equal(100, history.ToDataFrame().Rows.Count);
    }

    [Fact]
    public void Locations_and_deleted_experiments()
    {
        using (var viaUri = Tracker.Open(new Uri(Path.Combine(_folder.Path, "other")).AbsoluteUri))
            Assert.True(File.Exists(Path.Combine(_folder.Path, "other", SqliteTrackingStore.DatabaseFileName)));
        var e = Assert.Throws<TrackingException>(() => Tracker.Open("mysql://localhost/db"));
        Assert.Equal("location", e.Field);
        // PostgreSQL URIs go to PostgresTrackingStore: nothing listens on port 1, so it is Npgsql that fails to connect.
        var refused = Assert.ThrowsAny<Npgsql.NpgsqlException>(() => Tracker.Open("postgres://127.0.0.1:1/db?connect_timeout=5"));
        Assert.Contains("127.0.0.1:1", refused.Message);
        Assert.False(Directory.Exists(Tracker.DefaultPostgresArtifacts));

        string id;
        using (var run = _tracker.StartRun("gone")) id = run.Info.ExperimentId;
        Tracker.Wait(_tracker.Store.DeleteExperimentAsync(id));
        Assert.Equal("INVALID_STATE", Assert.Throws<TrackingException>(() => _tracker.StartRun("gone")).ErrorCode);
    }
}
