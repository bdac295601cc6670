using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Tracking;

/// <summary>
/// Charts of runs: metric curves across runs with every logged point (MLflow's UI samples long histories and can hide
/// a spike; these never drop a point), parallel coordinates of params against metrics, and a scatter of any two columns.
/// Columns are named as in a search filter: <c>metrics.val/acc</c>, <c>params.lr</c>, <c>tags.team</c>.
/// </summary>
/// <example><code>await tracker.MetricCurvesAsync(runs, "val/loss")</code></example>
public static class RunCharts
{
    /// <summary>
    /// One line per run of every logged value of <paramref name="key"/> by step (runs that never logged it are left
    /// out; NaN values leave a gap). The legend shows the run names.
    /// </summary>
    /// <exception cref="ArgumentException">No run logged <paramref name="key"/>.</exception>
    public static async Task<Chart> MetricCurvesAsync(this Tracker tracker, IEnumerable<Run> runs, string key, bool logY = false,
        string xTitle = "step", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(runs);
        var series = new List<Series>();
        foreach (var run in runs.Where(r => r.Data.Metrics.ContainsKey(key)))
        {
            var history = await tracker.GetMetricHistoryAsync(run.RunId, key, cancellationToken).ConfigureAwait(false);
            series.Add(Series.Of(run.Name, history.Steps.Select(s => (double)s), history.Values));
        }
        if (series.Count == 0)
            throw new ArgumentException($"None of the runs logged the metric '{key}'.", nameof(key));
        return Chart.Lines(series, title: key, xTitle: xTitle, yTitle: key, logY: logY);
    }

    /// <summary>
    /// Parallel coordinates: one line per run through one axis per column, coloured by <paramref name="colorMetric"/>
    /// (a <c>metrics.</c> column). Metric columns are numeric axes; params and tags are categorical axes whose ticks
    /// are in numeric order when every value is a number (so 0.001, 0.01, 0.1 are evenly spaced, like a log axis)
    /// and in ordinal order otherwise, with "(none)" for a run that lacks the key. Runs without a number for a metric
    /// column are left out.
    /// </summary>
    /// <example><code>runs.ParallelCoordinates("metrics.val/loss", "params.lr", "params.l2", "metrics.val/acc")</code></example>
    /// <exception cref="ArgumentException">A column is not <c>metrics.</c>/<c>params.</c>/<c>tags.</c>, or no run has a number for every metric column.</exception>
    public static Chart ParallelCoordinates(this IEnumerable<Run> runs, string colorMetric, params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var color = Column.Parse(colorMetric, nameof(colorMetric));
        if (color.Kind != "metrics")
            throw new ArgumentException($"The colour column '{colorMetric}' must be a metric (metrics.<key>).", nameof(colorMetric));
        var parsed = columns.Select(c => Column.Parse(c, nameof(columns))).ToList();
        if (!parsed.Contains(color)) parsed.Add(color);
        var metrics = parsed.Where(c => c.Kind == "metrics").ToList();
        var kept = runs.Where(r => metrics.All(m => r.Metric(m.Key) is { } v && !double.IsNaN(v))).ToList();
        if (kept.Count == 0)
            throw new ArgumentException($"No run has a number for every metric column ({string.Join(", ", metrics.Select(m => m.Name))}).", nameof(runs));
        var axes = parsed.Select(c => c.Kind == "metrics"
            ? new ChartAxis(c.Name, kept.Select(r => r.Metric(c.Key)!.Value).ToList())
            : CategoricalAxis(c.Name, kept.Select(c.Text).ToList()));
        return Chart.ParallelCoordinates(axes, kept.Select(r => r.Metric(color.Key)!.Value).ToList(), title: $"Runs coloured by {color.Name}");
    }

    /// <summary>A scatter of two numeric columns (metrics, or params/tags holding numbers), one point per run, hover text = run name.</summary>
    /// <example><code>runs.Scatter("params.lr", "metrics.val/acc", logX: true)</code></example>
    /// <exception cref="ArgumentException">A column is malformed or a value is not a number.</exception>
    public static Chart Scatter(this IEnumerable<Run> runs, string x, string y, bool logX = false, bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var cx = Column.Parse(x, nameof(x));
        var cy = Column.Parse(y, nameof(y));
        var points = runs.Select(r => (Run: r, X: cx.Number(r), Y: cy.Number(r))).Where(p => p.X is not null && p.Y is not null).ToList();
        if (points.Count == 0)
            throw new ArgumentException($"No run has both '{x}' and '{y}'.", nameof(runs));
        var series = new Series(y, points.Select(p => p.Y!.Value).ToArray(), X: points.Select(p => p.X!.Value).ToArray(), Text: points.Select(p => p.Run.Name).ToArray());
        return Chart.Scatter([series], title: $"{y} vs {x}", xTitle: x, yTitle: y, logX: logX, logY: logY);
    }

    private static ChartAxis CategoricalAxis(string label, IReadOnlyList<string> values)
    {
        var distinct = values.Distinct().ToList();
        var numeric = distinct.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        var ticks = numeric
            ? distinct.OrderBy(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToList()
            : distinct.Order(StringComparer.Ordinal).ToList();
        return new ChartAxis(label, values.Select(v => (double)ticks.IndexOf(v)).ToList(), ticks);
    }

    private sealed record Column(string Kind, string Key, string Name)
    {
        public const string Missing = "(none)";

        public static Column Parse(string name, string argument)
        {
            ArgumentNullException.ThrowIfNull(name, argument);
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var kind = dot > 0 ? name[..dot] : "";
            if (kind is not ("metrics" or "params" or "tags") || dot == name.Length - 1)
                throw new ArgumentException($"Column '{name}': expected metrics.<key>, params.<key> or tags.<key>.", argument);
            return new Column(kind, name[(dot + 1)..], name);
        }

        public string Text(Run run) => Kind switch
        {
            "metrics" => run.Metric(Key) is { } v ? Html.FormatNumber(v) : Missing,
            "params" => run.Param(Key) ?? Missing,
            _ => run.Data.Tags.GetValueOrDefault(Key) ?? Missing,
        };

        public double? Number(Run run)
        {
            if (Kind == "metrics") return run.Metric(Key);
            var text = Kind == "params" ? run.Param(Key) : run.Data.Tags.GetValueOrDefault(Key);
            if (text is null) return null;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new ArgumentException($"Column '{Name}' of run '{run.Name}' is '{text}', not a number.");
        }
    }
}
