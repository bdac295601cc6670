using System.Text;
using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>
/// The views W&amp;B shows for a sweep, computed from its trials: parallel coordinates, the metric against each
/// parameter, the best value so far, learning curves, and parameter importance. Early-terminated trials are kept and
/// marked (state "stopped": their own series or axis value), so it is visible which configurations hyperband cut.
/// </summary>
/// <example><code>var dash = sweep.Dashboard(); dash.ParallelCoordinates()</code></example>
public sealed class SweepDashboard : HtmlDisplayable
{
    private readonly SweepConfig _config;
    private readonly SweepMetric _metric;

    /// <summary>A dashboard over <paramref name="trials"/> of a sweep defined by <paramref name="config"/> (which must name a metric).</summary>
    public SweepDashboard(SweepConfig config, IReadOnlyList<TrialRecord> trials)
    {
        _config = config;
        _metric = config.Metric ?? throw new ArgumentException("A dashboard needs the sweep's metric (metric: {name: ..., goal: ...}).", nameof(config));
        Trials = trials;
        Scored = trials.Where(t => t.State is RunState.Finished or RunState.Stopped && t.Objective(_metric.Goal) is not null).ToList();
    }

    /// <summary>Every trial.</summary>
    public IReadOnlyList<TrialRecord> Trials { get; }

    /// <summary>The finished and early-stopped trials that logged the metric: what the charts plot.</summary>
    public IReadOnlyList<TrialRecord> Scored { get; }

    private double Value(TrialRecord t) => t.Objective(_metric.Goal)!.Value;

    private IEnumerable<SpaceParameter> Searched => _config.Space.Searchable;

    private static bool IsNumeric(IEnumerable<object?> values) => values.All(v => v is double or float or long or int);

    /// <summary>The finished or stopped trial with the best value (the earliest of equals), or null when none has one.</summary>
    public TrialRecord? Best => Scored.OrderBy(t => _metric.AsLoss(Value(t))).ThenBy(t => t.Number).FirstOrDefault();

    /// <summary>One line per trial across an axis per parameter, then the trial's state and its metric; colour = metric.</summary>
    public Chart ParallelCoordinates()
    {
        var axes = ParallelAxes();
        return Chart.ParallelCoordinates(axes, axes[^1].Values, $"{_metric.Name} by configuration ({Scored.Count} trials)");
    }

    /// <summary>
    /// The axes of <see cref="ParallelCoordinates"/>, one value per scored trial: each searched parameter (log10 of a
    /// log-scaled one, categories as tick indices), the trial's state, and last the metric.
    /// </summary>
    public IReadOnlyList<ChartAxis> ParallelAxes()
    {
        var axes = new List<ChartAxis>();
        foreach (var p in Searched)
        {
            var values = Scored.Select(t => t.Config.TryGetValue(p.Name, out var v) ? v : null).ToList();
            axes.Add(IsNumeric(values)
                ? new ChartAxis(p.Parameter.IsLogScale ? $"log10 {p.Name}" : p.Name,
                    values.Select(v => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture)).Select(v => p.Parameter.IsLogScale ? Math.Log10(v) : v).ToArray())
                : ChartAxis.Categorical(p.Name, values.Select(v => ParameterValues.KeyOf(v).Trim('"'))));
        }
        axes.Add(ChartAxis.Categorical("state", Scored.Select(t => SweepTags.ToWire(t.State))));
        axes.Add(new ChartAxis(_metric.Name, Scored.Select(Value).ToArray()));
        return axes;
    }

    /// <summary>The metric against one parameter, finished and early-stopped trials as separate series.</summary>
    public Chart MetricVersus(string parameter)
    {
        var p = Searched.FirstOrDefault(s => s.Name == parameter)
            ?? throw new ArgumentException($"The sweep searches no parameter '{parameter}'; it searches {string.Join(", ", Searched.Select(s => s.Name))}.", nameof(parameter));
        var groups = Scored.Where(t => t.Config.ContainsKey(parameter)).GroupBy(t => t.State).OrderBy(g => g.Key);
        var numeric = IsNumeric(Scored.Select(t => t.Config.TryGetValue(parameter, out var v) ? v : 0.0));
        var series = groups.Select(g => numeric
            ? new Series(SweepTags.ToWire(g.Key), g.Select(Value).ToArray(),
                X: g.Select(t => t.Config.Get<double>(parameter)).ToArray(), Text: g.Select(t => t.Name).ToArray())
            : new Series(SweepTags.ToWire(g.Key), g.Select(Value).ToArray(),
                Labels: g.Select(t => ParameterValues.KeyOf(t.Config[parameter]).Trim('"')).ToArray(), Text: g.Select(t => t.Name).ToArray()));
        return Chart.Scatter(series, $"{_metric.Name} vs {parameter}", parameter, _metric.Name, logX: numeric && p.Parameter.IsLogScale);
    }

    /// <summary>Each trial's value in the order trials were handed out, and the best value so far.</summary>
    public Chart BestSoFar()
    {
        var points = BestSoFarPoints();
        var x = points.Select(p => (double)p.Trial.Number).ToArray();
        return Chart.Lines(
        [
            new Series("trial", points.Select(p => p.Value).ToArray(), X: x, Text: points.Select(p => $"{p.Trial.Name} ({SweepTags.ToWire(p.Trial.State)})").ToArray()),
            new Series("best so far", points.Select(p => p.Best).ToArray(), X: x),
        ], $"Best {_metric.Name} so far", "trial", _metric.Name, markers: true);
    }

    /// <summary>The scored trials in the order they were handed out, each with its value and the best value up to it.</summary>
    public IReadOnlyList<BestSoFarPoint> BestSoFarPoints()
    {
        var points = new List<BestSoFarPoint>();
        foreach (var t in Scored.OrderBy(t => t.Number))
            points.Add(new BestSoFarPoint(t, Value(t), points.Count == 0 || _metric.IsBetter(Value(t), points[^1].Best) ? Value(t) : points[^1].Best));
        return points;
    }

    /// <summary>The metric per step of every trial; early-stopped trials are labelled "(stopped)".</summary>
    public Chart LearningCurves() => Chart.Lines(
        Scored.OrderBy(t => t.Number).Select(t => new Series(
            t.State == RunState.Stopped ? $"{t.Name} (stopped)" : t.Name, t.History.ToArray(),
            X: Enumerable.Range(1, t.History.Count).Select(i => (double)i).ToArray())),
        $"{_metric.Name} per step", "step", _metric.Name);

    /// <summary>Correlation and random-forest importance of each parameter for the metric.</summary>
    public ParameterImportance Importance(int seed = 0) =>
        ParameterImportance.Compute(_metric.Name, Scored.Select(t => (t.Config, Value(t))).ToList(), seed: seed);

    /// <summary>Trials table with state, value and stop reason.</summary>
    public string TrialsTable() => Html.Table(["trial", "run", "state", _metric.Name, "steps", "configuration", "stopped because"],
        Trials.Select(t => new object?[]
        {
            t.Number, t.Name, SweepTags.ToWire(t.State), t.Objective(_metric.Goal), t.History.Count(double.IsFinite), t.Config.ToString(), t.StopReason,
        }), $"{Trials.Count} trials: {string.Join(", ", Trials.GroupBy(t => t.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {SweepTags.ToWire(g.Key)}"))}");

    /// <inheritdoc />
    public override string ToHtml()
    {
        var html = new StringBuilder(TrialsTable());
        if (Scored.Count == 0) return html.Append("<p>No trial has a value of ").Append(Html.Escape(_metric.Name)).Append(" yet.</p>").ToString();
        html.Append(ParallelCoordinates().ToHtml());
        foreach (var p in Searched) html.Append(MetricVersus(p.Name).ToHtml());
        html.Append(BestSoFar().ToHtml()).Append(LearningCurves().ToHtml());
        if (Scored.Count >= 3) html.Append(HtmlRenderers.Render(Importance()));
        return html.ToString();
    }
}

/// <summary>One point of the best-so-far curve.</summary>
/// <param name="Trial">The trial.</param>
/// <param name="Value">Its value of the sweep metric.</param>
/// <param name="Best">The best value among it and every earlier scored trial.</param>
public sealed record BestSoFarPoint(TrialRecord Trial, double Value, double Best);
