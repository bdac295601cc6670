using System.Text.Json.Nodes;
using Courseware.Tracking;

namespace Courseware.Tests.Tracking.Lab431RunCharts;

/// <summary>
/// RunCharts (used by Lab 4.3.1): the chart specs must hold exactly the logged data — every point of every curve,
/// axes in the documented order. Expected values are the inputs themselves, worked out by hand below.
/// </summary>
public sealed class RunChartsTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Tracker _tracker;

    public RunChartsTests() => _tracker = Tracker.Open(_folder.Path);

    public void Dispose()
    {
        _tracker.Dispose();
        _folder.Dispose();
    }

    private string Log(string name, object? @params, Action<ActiveRun>? metrics = null)
    {
        using var run = _tracker.StartRun("charts", name: name);
        if (@params is not null) run.LogParams(@params);
        metrics?.Invoke(run);
        return run.RunId;
    }

    private async Task<List<Run>> Runs() => [.. (await _tracker.SearchRunsAsync("charts")).OrderBy(r => r.Name, StringComparer.Ordinal)];

    private static JsonArray Traces(Courseware.Notebooks.Chart chart) => JsonNode.Parse(chart.ToSpecJson())!["traces"]!.AsArray();

    private static double[] Numbers(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Metric_curves_keep_every_point_including_a_spike()
    {
        Log("long", null, run =>
        {
            for (var step = 0; step < 1000; step++) run.LogMetric("val/loss", step == 500 ? 50.0 : 1.0 / (step + 1), step);
        });
        Log("short", null, run =>
        {
            foreach (var step in new[] { 3, 1, 2 }) run.LogMetric("val/loss", step * 10.0, step); // logged out of order
        });
        Log("other", null, run => run.LogMetric("val/acc", 0.9));

        var traces = Traces(await _tracker.MetricCurvesAsync(await Runs(), "val/loss"));

        Assert.Equal(["long", "short"], traces.Select(t => t!["name"]!.GetValue<string>()).ToArray()); // "other" never logged it
        var longY = Numbers(traces[0]!["y"]);
        Assert.Equal(1000, longY.Length);
        Assert.Equal(50.0, longY[500]);
        Assert.Equal(1.0 / 1000, longY[999]);
        Assert.Equal(Enumerable.Range(0, 1000).Select(s => (double)s), Numbers(traces[0]!["x"]));
        Assert.Equal([1.0, 2, 3], Numbers(traces[1]!["x"]));
        Assert.Equal([10.0, 20, 30], Numbers(traces[1]!["y"]));
    }

    [Fact]
    public async Task Metric_curves_of_a_key_nobody_logged_is_an_error_naming_it()
    {
        Log("a", null, run => run.LogMetric("val/acc", 0.9));
        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await _tracker.MetricCurvesAsync(await Runs(), "val/loss"));
        Assert.Contains("'val/loss'", e.Message);
    }

    [Fact]
    public async Task Parallel_coordinates_order_numeric_params_by_value_and_mark_missing_ones()
    {
        Log("a", new { lr = 0.1, opt = "sgd" }, run => run.LogMetric("val/acc", 0.7));
        Log("b", new { lr = 0.001, opt = "adam" }, run => run.LogMetric("val/acc", 0.8));
        Log("c", new { lr = 0.01 }, run => run.LogMetric("val/acc", 0.9));
        Log("d", new { lr = 1, opt = "adam" }); // no metric: left out

        var trace = Traces((await Runs()).ParallelCoordinates("metrics.val/acc", "params.lr", "params.opt"))[0]!;

        Assert.Equal([0.7, 0.8, 0.9], Numbers(trace["color"]));
        var dims = trace["dimensions"]!.AsArray();
        Assert.Equal(["params.lr", "params.opt", "metrics.val/acc"], dims.Select(d => d!["label"]!.GetValue<string>()).ToArray());
        // lr ticks in numeric order 0.001 < 0.01 < 0.1; runs a, b, c sit at 0.1 → 2, 0.001 → 0, 0.01 → 1.
        Assert.Equal(["0.001", "0.01", "0.1"], Strings(dims[0]!["tickLabels"]));
        Assert.Equal([2.0, 0, 1], Numbers(dims[0]!["values"]));
        // opt ticks in ordinal order: "(none)" < "adam" < "sgd"; a = sgd → 2, b = adam → 1, c lacks it → 0.
        Assert.Equal(["(none)", "adam", "sgd"], Strings(dims[1]!["tickLabels"]));
        Assert.Equal([2.0, 1, 0], Numbers(dims[1]!["values"]));
        Assert.Equal([0.7, 0.8, 0.9], Numbers(dims[2]!["values"]));
        Assert.Null(dims[2]!["tickLabels"]);
    }

    [Theory]
    [InlineData("lr", "Column 'lr'")]
    [InlineData("params.", "Column 'params.'")]
    [InlineData("attributes.status", "Column 'attributes.status'")]
    public async Task Parallel_coordinates_reject_a_malformed_column_by_name(string column, string expected)
    {
        Log("a", new { lr = 0.1 }, run => run.LogMetric("val/acc", 0.7));
        var runs = await Runs();
        var e = Assert.Throws<ArgumentException>(() => runs.ParallelCoordinates("metrics.val/acc", column));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task Parallel_coordinates_need_a_metric_for_colour()
    {
        Log("a", new { lr = 0.1 }, run => run.LogMetric("val/acc", 0.7));
        var runs = await Runs();
        Assert.Contains("must be a metric", Assert.Throws<ArgumentException>(() => runs.ParallelCoordinates("params.lr")).Message);
        Assert.Contains("metrics.val/loss", Assert.Throws<ArgumentException>(() => runs.ParallelCoordinates("metrics.val/loss")).Message);
    }

    [Fact]
    public async Task Scatter_plots_numeric_params_against_metrics_with_run_names()
    {
        Log("a", new { lr = 0.1 }, run => run.LogMetric("val/acc", 0.7));
        Log("b", new { lr = 0.001 }, run => run.LogMetric("val/acc", 0.8));
        Log("c", null, run => run.LogMetric("val/acc", 0.9)); // no lr: left out

        var trace = Traces((await Runs()).Scatter("params.lr", "metrics.val/acc", logX: true))[0]!;

        Assert.Equal([0.1, 0.001], Numbers(trace["x"]));
        Assert.Equal([0.7, 0.8], Numbers(trace["y"]));
        Assert.Equal(["a", "b"], Strings(trace["text"]));
    }

    [Fact]
    public async Task Scatter_of_a_text_param_names_the_run_and_value()
    {
        Log("a", new { opt = "adam" }, run => run.LogMetric("val/acc", 0.7));
        var runs = await Runs();
        var e = Assert.Throws<ArgumentException>(() => runs.Scatter("params.opt", "metrics.val/acc"));
        Assert.Contains("'params.opt' of run 'a' is 'adam'", e.Message);
    }
}
