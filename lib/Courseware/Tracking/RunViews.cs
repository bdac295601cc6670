using System.Globalization;
using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Tracking;

/// <summary>Every logged value of one metric of one run, by step (a table in notebooks).</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class MetricHistory
{
    /// <summary>Points shown in the notebook table (evenly spaced, always including the extremes and the last).</summary>
    public const int HtmlRowLimit = 30;

    internal MetricHistory(string runId, string key, IReadOnlyList<Metric> points)
    {
        RunId = runId;
        Key = key;
        Points = points;
    }

    /// <summary>The run.</summary>
    public string RunId { get; }

    /// <summary>The metric key.</summary>
    public string Key { get; }

    /// <summary>All points, by step then timestamp.</summary>
    public IReadOnlyList<Metric> Points { get; }

    /// <summary>Steps, for plotting.</summary>
    public IReadOnlyList<long> Steps => Points.Select(p => p.Step).ToList();

    /// <summary>Values, for plotting.</summary>
    public IReadOnlyList<double> Values => Points.Select(p => p.Value).ToList();

    /// <summary>Columns step, timestamp (UTC) and value.</summary>
    public DataFrame ToDataFrame() => new(
        new Int64DataFrameColumn("step", Points.Select(p => p.Step)),
        new PrimitiveDataFrameColumn<DateTime>("timestamp", Points.Select(p => (DateTime?)p.Time.UtcDateTime)),
        new DoubleDataFrameColumn("value", Points.Select(p => p.Value)));

    /// <summary>A table of points; long histories are thinned, keeping the minimum, maximum and last point so spikes stay visible.</summary>

    internal List<Metric> Thin()
    {
        if (Points.Count <= HtmlRowLimit) return Points.ToList();
        var keep = new SortedSet<int> { 0, Points.Count - 1 };
        var numbers = Enumerable.Range(0, Points.Count).Where(i => !double.IsNaN(Points[i].Value)).ToList();
        if (numbers.Count > 0)
        {
            keep.Add(numbers.MinBy(i => Points[i].Value));
            keep.Add(numbers.MaxBy(i => Points[i].Value));
        }
        for (var k = 0; keep.Count < HtmlRowLimit && k < HtmlRowLimit; k++)
            keep.Add((int)((long)k * (Points.Count - 1) / (HtmlRowLimit - 1)));
        return keep.Select(i => Points[i]).ToList();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Key}: {Points.Count} points";
}

/// <summary>Params and latest metrics of several runs side by side; rows whose values differ are marked.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class RunComparison
{
    internal RunComparison(IReadOnlyList<Run> runs) => Runs = runs;

    /// <summary>The compared runs, in the order asked.</summary>
    public IReadOnlyList<Run> Runs { get; }

    /// <summary>Param keys whose values are not the same in every run (missing counts as a value).</summary>
    public IReadOnlyList<string> DifferingParams => Keys(r => r.Data.Params.Keys)
        .Where(k => Runs.Select(r => r.Param(k)).Distinct().Count() > 1).ToList();

    /// <summary>Every param key of any run, sorted.</summary>
    public IReadOnlyList<string> ParamKeys => Keys(r => r.Data.Params.Keys);

    /// <summary>Every metric key of any run, sorted.</summary>
    public IReadOnlyList<string> MetricKeys => Keys(r => r.Data.Metrics.Keys);

    private List<string> Keys(Func<Run, IEnumerable<string>> select) =>
        Runs.SelectMany(select).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>One row per param then metric, one column per run; "≠" marks params that differ.</summary>

    /// <inheritdoc />
    public override string ToString() => $"Comparison of {Runs.Count} runs";
}
