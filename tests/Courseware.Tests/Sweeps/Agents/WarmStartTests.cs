using Courseware.Notebooks;
using System.Globalization;
using Courseware.Sweeps;
using Courseware.Tests.Runner;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Sweeps.Agents;

/// <summary>
/// Warm start from runs already in the tracking store: which runs are used or skipped (and why), that the params
/// become typed values of the search space and the value is the run's best, that bayes and tpe start from exactly
/// those observations (the first suggestion equals the search core's suggestion from observations built here by hand),
/// that the observations survive reopening the sweep, and the CLI's --warm-start.
/// </summary>
public sealed class WarmStartTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Tracker _tracker;

    public WarmStartTests() => _tracker = Tracker.Open(Store);

    public void Dispose()
    {
        _tracker.Dispose();
        _folder.Dispose();
    }

    private string Store => Path.Combine(_folder.Path, "store");

    private const string Bayes = """
        method: bayes
        metric: {name: loss, goal: minimize}
        parameters:
          lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
          layers: {min: 1, max: 3}
          opt: {values: [adam, sgd]}
        """;

    // Earlier hand-made runs: a smooth loss of (lr, layers, opt), logged as three steps whose best (minimum) is the value.
    private static double Loss(double lr, long layers, string opt) =>
        Math.Pow(Math.Log10(lr) + 2.5, 2) + 0.1 * (layers - 2) * (layers - 2) + (opt == "sgd" ? 0.3 : 0);

    private static readonly (double Lr, long Layers, string Opt)[] InSpace =
    [
        (1e-4, 1, "adam"), (3e-4, 2, "sgd"), (1e-3, 3, "adam"), (0.003, 1, "sgd"), (0.01, 2, "adam"), (0.03, 3, "sgd"),
        (0.1, 2, "adam"), (0.002, 2, "adam"), (0.0005, 3, "sgd"), (0.05, 1, "adam"), (0.007, 3, "adam"), (0.0002, 2, "adam"),
    ];

    private string LogRun(string experiment, string name, IReadOnlyDictionary<string, string> @params, double[]? loss, RunStatus status = RunStatus.Finished)
    {
        var experimentId = _tracker.GetOrCreateExperimentAsync(experiment).GetAwaiter().GetResult().ExperimentId;
        var run = _tracker.Store.CreateRunAsync(experimentId, name, 1_000 + _count++, "ada").GetAwaiter().GetResult();
        _tracker.Store.LogBatchAsync(run.RunId, (loss ?? []).Select((v, step) => new Metric("loss", v, 2_000 + step, step)).ToList(),
            @params.Select(p => new Param(p.Key, p.Value)).ToList(), []).GetAwaiter().GetResult();
        if (status != RunStatus.Running) _tracker.Store.UpdateRunAsync(run.RunId, status, 5_000).GetAwaiter().GetResult();
        return run.RunId;
    }

    private int _count;

    private static Dictionary<string, string> Params(double lr, long layers, string opt) => new()
    {
        ["lr"] = lr.ToString("R", CultureInfo.InvariantCulture), ["layers"] = layers.ToString(CultureInfo.InvariantCulture), ["opt"] = opt,
    };

    /// <summary>Twelve usable runs (history [v + 0.2, v, v + 0.1]) and six that must be skipped, in start order.</summary>
    private void SeedManualRuns()
    {
        foreach (var (lr, layers, opt) in InSpace)
        {
            var v = Loss(lr, layers, opt);
            LogRun("manual", $"lr={lr}", Params(lr, layers, opt), [v + 0.2, v, v + 0.1]);
        }
        LogRun("manual", "too-fast", Params(0.5, 2, "adam"), [0.1]);
        LogRun("manual", "rmsprop", Params(0.01, 2, "rmsprop"), [0.1]);
        LogRun("manual", "no-layers", new Dictionary<string, string> { ["lr"] = "0.01", ["opt"] = "adam" }, [0.1]);
        LogRun("manual", "no-loss", Params(0.01, 2, "adam"), null);
        LogRun("manual", "crashed", Params(0.01, 2, "adam"), [0.1], RunStatus.Failed);
        LogRun("manual", "still-going", Params(0.01, 2, "adam"), [0.1], RunStatus.Running);
    }

    /// <summary>The observations as the search core should see them, built from the known values, not from the store.</summary>
    private static List<SweepRun> ExpectedObservations() => InSpace.Select(r => SweepRun.Finished(new ParameterValues(
        [new("layers", r.Layers), new("lr", r.Lr), new("opt", r.Opt)]), Loss(r.Lr, r.Layers, r.Opt))).ToList();

    [Fact]
    public void Runs_outside_the_space_without_the_metric_or_not_finished_are_skipped_with_their_reason()
    {
        SeedManualRuns();
        var sweep = Sweep.Create(_tracker, Bayes, "tuned", seed: 7, warmStart: WarmStart.From("manual"));
        var report = sweep.WarmStart!;

        Assert.Equal(InSpace.Select(r => $"lr={r.Lr}"), report.Used.Select(r => r.Name));
        var skipped = report.Skipped.ToDictionary(r => r.Name, r => r.SkipReason!);
        Assert.Equal(6, skipped.Count);
        Assert.Equal("lr = 0.5 is outside the search space {distribution: log_uniform_values, min: 0.0001, max: 0.1}", skipped["too-fast"]);
        Assert.StartsWith("opt = \"rmsprop\" is outside the search space {distribution: categorical, values: [\"adam\", \"sgd\"]}", skipped["rmsprop"]);
        Assert.Equal("has no param 'layers'", skipped["no-layers"]);
        Assert.Equal("has no metric 'loss'", skipped["no-loss"]);
        Assert.Equal("failed, not finished", skipped["crashed"]);
        Assert.Equal("running, not finished", skipped["still-going"]);

        // Params (text in the store) come back typed as the space's values; the value is the run's best (minimum).
        foreach (var (used, expected) in report.Used.Zip(ExpectedObservations()))
        {
            Assert.Equal(expected.Config.Key, used.Config!.Key);
            Assert.IsType<long>(used.Config["layers"]);
            Assert.IsType<double>(used.Config["lr"]);
            Assert.Equal(expected.Objective(MetricGoal.Minimize), used.Value);
        }
        Assert.Contains("12 run(s) used, 6 skipped", report.ToString());
        Assert.Contains("skipped too-fast", report.ToString());
    }

    [Fact]
    public void Bayes_starts_from_exactly_the_warm_observations_and_differs_from_a_cold_start()
    {
        SeedManualRuns();
        var warm = Sweep.Create(_tracker, Bayes, "tuned", seed: 7, warmStart: WarmStart.From("manual"));
        var cold = Sweep.Create(_tracker, Bayes, "cold", seed: 7);
        warm.RunAgent(1, trial => trial.Log(0, new { loss = 1.0 }));
        cold.RunAgent(1, trial => trial.Log(0, new { loss = 1.0 }));
        var first = warm.GetTrials()[0];

        // The core fed the hand-built observations suggests the same configuration: nothing added, lost or altered.
        var expected = new Sweeper(warm.Config, 7, ExpectedObservations()).Suggest([])!;
        Assert.Equal(expected.Config.Key, first.Config.Key);
        Assert.Equal(expected.Note, first.Note);
        Assert.StartsWith("bayes: expected improvement", first.Note);
        Assert.Contains("from 12 results", first.Note);
        // Cold, the same seed starts at random; warm, the search already models the loss.
        var coldFirst = cold.GetTrials()[0];
        Assert.StartsWith("random (fewer than 2 results)", coldFirst.Note);
        Assert.NotEqual(coldFirst.Config.Key, first.Config.Key);

        // Another agent opening the sweep by id reads the same observations from the store: 12 earlier + 1 trial.
        var reopened = Sweep.Open(_tracker, warm.Id);
        Assert.Equal(warm.WarmStart!.Used.Select(r => (r.RunId, r.Config!.Key, r.Value)), reopened.WarmStart!.Used.Select(r => (r.RunId, r.Config!.Key, r.Value)));
        Assert.Equal(warm.WarmStart.Skipped.Select(r => r.SkipReason), reopened.WarmStart.Skipped.Select(r => r.SkipReason));
        reopened.RunAgent(1, trial => trial.Log(0, new { loss = 1.0 }));
        Assert.Contains("from 13 results", reopened.GetTrials()[1].Note);
        // Earlier runs seed the search but are not trials: run_cap and the dashboard count the sweep's own trials.
        Assert.Equal(2, reopened.GetSummary().Trials);
        Assert.Equal(12, reopened.GetSummary().WarmStartRuns);
        Assert.Contains("2 trial(s), warm-started from 12 run(s) of manual", HtmlRenderers.Render(reopened));
    }

    [Fact]
    public void Tpe_skips_its_random_startup_when_enough_runs_are_known_and_a_filter_narrows_the_runs()
    {
        SeedManualRuns();
        var yaml = Bayes.Replace("method: bayes", "method: tpe");
        var adamOnly = Sweep.Create(_tracker, yaml, "tpe-adam", seed: 3, warmStart: WarmStart.From("manual", "params.opt = 'adam'"));
        Assert.Equal(InSpace.Count(r => r.Opt == "adam"), adamOnly.WarmStart!.Used.Count);
        Assert.All(adamOnly.WarmStart.Runs, r => Assert.NotEqual("sgd", r.Config?.Get<string>("opt")));

        var all = Sweep.Create(_tracker, yaml, "tpe-all", seed: 3, warmStart: WarmStart.From("manual"));
        all.RunAgent(1, trial => trial.Log(0, new { loss = 1.0 }));
        var note = all.GetTrials()[0].Note!;
        Assert.StartsWith("tpe: ", note);
        Assert.Contains("of 12 results", note);
        Assert.Equal(new Sweeper(all.Config, 3, ExpectedObservations()).Suggest([])!.Config.Key, all.GetTrials()[0].Config.Key);
    }

    [Fact]
    public void Grid_skips_points_already_run_and_trials_of_an_earlier_sweep_keep_their_types()
    {
        const string grid = """
            method: grid
            metric: {name: loss}
            parameters:
              a: {values: [1, 2, 3]}
              b: {values: [0.5, 1.5]}
            """;
        var first = Sweep.Create(_tracker, grid.Replace("values: [1, 2, 3]", "values: [1, 2]"), "grid", seed: 1);
        first.RunAgent(null, trial => trial.Log(0, new { loss = trial.Get<double>("a") + trial.Get<double>("b") }));
        Assert.Equal(4, first.GetTrials().Count);

        // Same experiment: the first sweep's own run is skipped, its four trials are used (typed from their config tag).
        var second = Sweep.Create(_tracker, grid, "grid", seed: 1, warmStart: WarmStart.From());
        Assert.Equal(["a sweep's own run (its trials are separate runs)"], second.WarmStart!.Skipped.Select(r => r.SkipReason));
        Assert.Equal(4, second.WarmStart.Used.Count);
        Assert.All(second.WarmStart.Used, r => Assert.IsType<long>(r.Config!["a"]));
        second.RunAgent(null, trial => trial.Log(0, new { loss = 0.0 }));
        Assert.Equal([3L, 3L], second.GetTrials().Select(t => t.Config.Get<long>("a")));
        Assert.Equal(SweepState.Finished, second.GetState());
        // Both sweeps listed, newest first, with their own trial counts (warm runs counted apart).
        var listed = Sweep.List(_tracker, "grid");
        Assert.Equal([(second.Id, 2, 4), (first.Id, 4, 0)], listed.Select(l => (l.Id, l.Trials, l.WarmStartRuns)));
        Assert.All(listed, l => Assert.Equal((SweepState.Finished, SearchMethod.Grid), (l.State, l.Method)));
        Assert.Throws<ArgumentException>(() => Sweep.List(_tracker, "no-such-experiment"));
    }

    [Fact]
    public void The_report_displays_run_names_and_values_as_escaped_text()
    {
        LogRun("manual", "<b>bold</b>", Params(0.01, 2, "<i>x</i>"), [0.5]);
        LogRun("manual", "fine", Params(0.01, 2, "adam"), [0.25]);
        var html = HtmlRenderers.Render(Sweep.Create(_tracker, Bayes, "x", warmStart: WarmStart.From("manual")).WarmStart!);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
        Assert.Contains("&quot;&lt;i&gt;x&lt;/i&gt;&quot; is outside the search space", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("1 run(s) used, 1 skipped", html);
    }

    [Fact]
    public async Task A_missing_experiment_or_a_bad_filter_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => Sweep.Create(_tracker, Bayes, "x", warmStart: WarmStart.From("nope")));
        Assert.Contains("No experiment named 'nope'", e.Message);
        LogRun("manual", "one", Params(0.01, 2, "adam"), [0.5]);
        var bad = Assert.ThrowsAny<TrackingException>(() => Sweep.Create(_tracker, Bayes, "x", warmStart: WarmStart.From("manual", "params.opt === 'adam'")));
        Assert.Equal(TrackingErrorCode.InvalidParameterValue, bad.Code);
        Assert.Contains("column 12", bad.Message);
        // Nothing was stored for the failed attempts: no experiment "x", no sweep.
        Assert.Null(await _tracker.Store.GetExperimentByNameAsync("x"));
        // A warm start from the sweep's own experiment before it exists simply has no runs.
        Assert.Empty(Sweep.Create(_tracker, Bayes, "fresh", warmStart: WarmStart.From()).WarmStart!.Runs);
    }

    [Fact]
    public void Cli_sweep_create_warm_starts_from_a_filter_and_reports_skipped_runs()
    {
        SeedManualRuns();
        _tracker.Dispose();
        var cli = Path.Combine(RunnerTestEnvironment.RepoRoot, "build", "cli", "Courseware.Cli.dll");
        var file = Path.Combine(_folder.Path, "sweep.yaml");
        File.WriteAllText(file, Bayes);
        var (code, output) = RunnerTestEnvironment.Run("dotnet",
            [cli, "sweep", "create", file, "--store", Store, "--experiment", "tuned", "--warm-start", "params.layers = '2'", "--warm-start-experiment", "manual"],
            _folder.Path, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        var id = System.Text.RegularExpressions.Regex.Match(output, "^[0-9a-f]{32}$", System.Text.RegularExpressions.RegexOptions.Multiline).Value;
        Assert.Contains($"warm start from manual where params.layers = '2': {InSpace.Count(r => r.Layers == 2)} run(s) used, 5 skipped", output);
        Assert.Contains("skipped rmsprop", output);
        using (var tracker = Tracker.Open(Store))
            Assert.Equal(InSpace.Count(r => r.Layers == 2), Sweep.Open(tracker, id).WarmStart!.Used.Count);

        (code, output) = RunnerTestEnvironment.Run("dotnet",
            [cli, "sweep", "create", file, "--store", Store, "--warm-start", "params.layers >> 2", "--warm-start-experiment", "manual"],
            _folder.Path, TimeSpan.FromMinutes(2));
        Assert.Equal(2, code);
        Assert.Contains("error: --warm-start:", output);
    }
}
