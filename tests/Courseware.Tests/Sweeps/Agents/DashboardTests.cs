using Courseware.Sweeps;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Sweeps.Agents;

/// <summary>Dashboards, parameter importance, the program protocol and the typed configuration JSON.</summary>
public sealed class DashboardTests
{
    private static ParameterValues Config(double lr, long width, string opt) => new([new("lr", lr), new("width", width), new("opt", opt)]);

    [Fact]
    public void Pearson_matches_numpy()
    {
        // numpy.corrcoef([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1])[0, 1] = 0.99865175557
        // (tests/Courseware.Tests/Sweeps/Agents/reference/importance_reference.py)
        Assert.Equal(0.9986517555689656, ParameterImportance.Pearson([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1]), 6);
        Assert.True(double.IsNaN(ParameterImportance.Pearson([1, 1, 1], [1, 2, 3])));
    }

    [Fact]
    public void Importance_finds_the_parameter_that_drives_the_metric_even_when_not_monotonic()
    {
        // value = (lr - 0.5)^2: correlation with lr is ~0 (a U shape), but the forest sees it; width and opt are noise.
        var random = new Random(7);
        var results = Enumerable.Range(0, 60).Select(_ =>
        {
            var lr = random.NextDouble();
            return (Config(lr, random.Next(1, 5), random.Next(2) == 0 ? "adam" : "sgd"), (lr - 0.5) * (lr - 0.5));
        }).ToList();
        var importance = ParameterImportance.Compute("loss", results, seed: 1);
        Assert.Equal("lr", importance.Features[0].Feature);
        Assert.True(importance.Features[0].Importance > 0.7, $"lr importance {importance.Features[0].Importance}");
        Assert.True(Math.Abs(importance.Features[0].Correlation) < 0.3);
        Assert.Equal(1.0, importance.Features.Sum(f => f.Importance), 9);
        Assert.Contains(importance.Features, f => f.Feature == "opt=adam"); // categorical → one-hot, as W&B
        Assert.Throws<ArgumentException>(() => ParameterImportance.Compute("loss", results.Take(2).ToList()));
    }

    [Fact]
    public void Dashboard_shows_every_view_and_marks_stopped_trials()
    {
        using var folder = new TempFolder();
        using var tracker = Tracker.Open(folder.Path);
        var sweep = Sweep.Create(tracker, """
            method: grid
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 1, eta: 2}
            parameters:
              lr: {values: [0.03, 0.001, 0.01, 1.0, 0.003, 0.3]}
              opt: {values: [adam, "<sgd>"]}
            """);
        sweep.RunAgent(null, trial =>
        {
            for (var step = 0; step < 3 && !trial.ShouldStop; step++)
                trial.Log(step, new { loss = Math.Abs(Math.Log10(trial.Get<double>("lr")) + 1.5) + 1.0 / (step + 1) });
        });
        var dashboard = sweep.Dashboard();
        Assert.Equal(12, dashboard.Scored.Count);
        Assert.Contains(dashboard.Trials, t => t.State == RunState.Stopped);
        var html = dashboard.ToHtml();
        Assert.Contains("stopped", html);
        Assert.Contains("&lt;sgd&gt;", html);        // user strings are escaped
        Assert.DoesNotContain("<sgd>", dashboard.TrialsTable());
        Assert.Equal("parallel-coordinates", dashboard.ParallelCoordinates().Kind);
        Assert.True(dashboard.MetricVersus("lr").TraceCount >= 2);    // finished and stopped as separate series
        Assert.Equal(2, dashboard.BestSoFar().TraceCount);
        Assert.Contains("(stopped)", dashboard.LearningCurves().ToSpecJson());
        Assert.Throws<ArgumentException>(() => dashboard.MetricVersus("momentum"));
    }

    [Fact]
    public void Metric_lines_are_parsed_and_bad_ones_named()
    {
        var (values, step) = SweepProgram.ParseMetricLine("metric: val_loss=0.25 acc=0.9 step=3")!.Value;
        Assert.Equal(0.25, values["val_loss"]);
        Assert.Equal(0.9, values["acc"]);
        Assert.Equal(3, step);
        Assert.Null(SweepProgram.ParseMetricLine("epoch 3 done"));
        var e = Assert.Throws<FormatException>(() => SweepProgram.ParseMetricLine("metric: loss=abc"));
        Assert.Contains("loss=abc is not a number", e.Message);
        Assert.Equal(["--lr=0.001", "--opt=adam", "--width=64"],
            SweepProgram.Arguments(new ParameterValues([new("lr", 0.001), new("opt", "adam"), new("width", 64L)])));
    }

    [Fact]
    public void Configuration_json_keeps_integers_and_reals_apart()
    {
        var config = new ParameterValues([new("a", 3L), new("b", 3.0), new("c", "x"), new("d", true), new("e", new List<object?> { 1L, 2.5 })]);
        var back = ConfigJson.Read(ConfigJson.Write(config));
        Assert.IsType<long>(back["a"]);
        Assert.IsType<double>(back["b"]);
        Assert.Equal(config.Key, back.Key);
    }
}
