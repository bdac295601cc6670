using System.Collections;
using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Tracking;

/// <summary>
/// One page of run-search results: a list of <see cref="Run"/>, a token for the next page, a DataFrame view
/// (<see cref="ToDataFrame"/>) and an HTML table in notebooks.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class RunPage : IReadOnlyList<Run>
{
    /// <summary>Rows shown in the notebook table before "… more".</summary>
    public const int HtmlRowLimit = 50;

    private readonly IReadOnlyList<Run> _runs;

    /// <summary>Wraps a page of runs.</summary>
    public RunPage(IReadOnlyList<Run> runs, string? nextPageToken)
    {
        _runs = runs;
        NextPageToken = nextPageToken;
    }

    /// <summary>Pass to <see cref="RunQuery.PageToken"/> for the next page; null when this page was not full.
    /// As in MLflow, a full last page still returns a token, and the page after it is empty.</summary>
    public string? NextPageToken { get; }

    /// <inheritdoc />
    public int Count => _runs.Count;

    /// <inheritdoc />
    public Run this[int index] => _runs[index];

    /// <inheritdoc />
    public IEnumerator<Run> GetEnumerator() => _runs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Metric keys logged by any run on the page, sorted.</summary>
    public IReadOnlyList<string> MetricKeys => _runs.SelectMany(r => r.Data.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Param keys logged by any run on the page, sorted.</summary>
    public IReadOnlyList<string> ParamKeys => _runs.SelectMany(r => r.Data.Params.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// MLflow's <c>search_runs</c> DataFrame: run_id, experiment_id, run_name, status, start_time, end_time, then one
    /// column per <c>metrics.*</c> (double, null where missing), <c>params.*</c> and <c>tags.*</c> (string).
    /// </summary>
    public DataFrame ToDataFrame()
    {
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("run_id", _runs.Select(r => r.RunId)),
            new StringDataFrameColumn("experiment_id", _runs.Select(r => r.Info.ExperimentId)),
            new StringDataFrameColumn("run_name", _runs.Select(r => r.Name)),
            new StringDataFrameColumn("status", _runs.Select(r => r.Info.Status.ToWire())),
            new PrimitiveDataFrameColumn<DateTime>("start_time", _runs.Select(r => (DateTime?)DateTimeOffset.FromUnixTimeMilliseconds(r.Info.StartTime).UtcDateTime)),
            new PrimitiveDataFrameColumn<DateTime>("end_time", _runs.Select(r => r.Info.EndTime is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e).UtcDateTime : (DateTime?)null)),
        };
        foreach (var key in MetricKeys)
            columns.Add(new DoubleDataFrameColumn("metrics." + key, _runs.Select(r => r.Metric(key))));
        foreach (var key in ParamKeys)
            columns.Add(new StringDataFrameColumn("params." + key, _runs.Select(r => r.Param(key))));
        foreach (var key in _runs.SelectMany(r => r.Data.Tags.Keys).Distinct().Order(StringComparer.Ordinal))
            columns.Add(new StringDataFrameColumn("tags." + key, _runs.Select(r => r.Data.Tags.GetValueOrDefault(key))));
        return new DataFrame(columns);
    }

    /// <summary>Name, status, start, duration, then every metric and param (system tags are left to the DataFrame).</summary>

    /// <inheritdoc />
    public override string ToString() => $"{Count} runs" + (NextPageToken is null ? "" : " (more pages)");
}
