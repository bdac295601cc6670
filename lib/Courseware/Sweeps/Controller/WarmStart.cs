using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>
/// Where a new sweep takes earlier results from: the finished runs of an experiment that match a search filter
/// (MLflow grammar). Each run's params are mapped onto the sweep's search space and its best value of the sweep's
/// metric becomes an observation, so bayes and tpe start from what is already known; grid skips configurations already
/// run. The runs are chosen once, when the sweep is created, and stored with it.
/// </summary>
/// <param name="Experiment">The experiment to read runs from (default: the sweep's own experiment).</param>
/// <param name="Filter">A run filter such as <c>params.optimizer = 'adam'</c> (default: every run).</param>
/// <example><code>Sweep.Create(tracker, yaml, "penguins", warmStart: WarmStart.From("penguins-manual"))</code></example>
public sealed record WarmStart(string? Experiment = null, string? Filter = null)
{
    /// <summary>Runs of <paramref name="experiment"/> (default: the sweep's) matching <paramref name="filter"/> (default: all).</summary>
    public static WarmStart From(string? experiment = null, string? filter = null) => new(experiment, filter);
}

/// <summary>One run considered for a warm start: used, with its configuration and metric value, or skipped, with why.</summary>
/// <param name="RunId">The run's id.</param>
/// <param name="Name">The run's name.</param>
/// <param name="Config">Its params mapped onto the search space (null when skipped).</param>
/// <param name="Value">Its best value of the sweep's metric (null when skipped, or when the sweep has no metric).</param>
/// <param name="SkipReason">Why the run was not used, e.g. "lr = 0.5 is outside the search space …"; null when used.</param>
public sealed record WarmStartRun(string RunId, string Name, ParameterValues? Config, double? Value, string? SkipReason)
{
    /// <summary>True when the run is one of the sweep's starting observations.</summary>
    public bool IsUsed => SkipReason is null;
}

/// <summary>What a sweep's warm start found: the runs used as observations and the runs skipped, each with its reason.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class WarmStartReport
{
    private const string ParamPrefix = "warm_start.";

    internal WarmStartReport(string experiment, string? filter, IReadOnlyList<WarmStartRun> runs)
    {
        Experiment = experiment;
        Filter = string.IsNullOrWhiteSpace(filter) ? null : filter;
        Runs = runs;
    }

    /// <summary>The experiment the runs came from.</summary>
    public string Experiment { get; }

    /// <summary>The run filter, or null for every run.</summary>
    public string? Filter { get; }

    /// <summary>Every run considered, in start order.</summary>
    public IReadOnlyList<WarmStartRun> Runs { get; }

    /// <summary>The runs the search starts from.</summary>
    public IReadOnlyList<WarmStartRun> Used => Runs.Where(r => r.IsUsed).ToList();

    /// <summary>The runs left out, with their reasons.</summary>
    public IReadOnlyList<WarmStartRun> Skipped => Runs.Where(r => !r.IsUsed).ToList();

    /// <summary>The used runs as the search core sees them: finished runs with one value.</summary>
    internal IReadOnlyList<SweepRun> Observations => Used.Select(r =>
        new SweepRun(r.Config!, RunState.Finished, r.Value is double v ? [v] : []) { Name = r.RunId }).ToList();

    /// <summary>Chooses and maps the runs (see <see cref="WarmStart"/>); a run that cannot be used is listed with its reason.</summary>
    internal static async Task<WarmStartReport> ResolveAsync(ITrackingStore store, SweepConfig config, Experiment experiment, string? filter, CancellationToken ct)
    {
        var runs = new List<WarmStartRun>();
        string? token = null;
        do
        {
            var page = await store.SearchRunsAsync(new RunQuery([experiment.ExperimentId], string.IsNullOrWhiteSpace(filter) ? null : filter,
                ["attributes.start_time ASC"], TrackingLimits.MaxResultsLimit, token), ct).ConfigureAwait(false);
            foreach (var run in page) runs.Add(await MapAsync(store, config, run, ct).ConfigureAwait(false));
            token = page.NextPageToken;
        } while (token is not null);
        return new WarmStartReport(experiment.Name, filter, runs);
    }

    private static async Task<WarmStartRun> MapAsync(ITrackingStore store, SweepConfig config, Run run, CancellationToken ct)
    {
        WarmStartRun Skip(string reason) => new(run.RunId, run.Name, null, null, reason);
        var tags = run.Data.Tags;
        if (tags.GetValueOrDefault(SweepTags.Role) == SweepTags.SweepRole) return Skip("a sweep's own run (its trials are separate runs)");
        // An early-stopped trial ended KILLED but its values are results, as they are within a sweep.
        var stopped = tags.GetValueOrDefault(SweepTags.State) == "stopped";
        if (run.Info.Status != RunStatus.Finished && !stopped) return Skip($"{run.Info.Status.ToString().ToLowerInvariant()}, not finished");

        var typed = tags.TryGetValue(SweepTags.Config, out var json) ? ConfigJson.Read(json) : null;
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in config.Space.Parameters)
        {
            if (typed?.TryGetValue(p.Name, out var v) == true) values[p.Name] = v;
            else if (run.Data.Params.TryGetValue(p.Name, out var text)) values[p.Name] = ParseParam(p.Parameter, text);
        }
        if (config.Space.Fit(values, out var whyNot) is not { } fitted) return Skip(whyNot!);
        if (config.Metric is not { } metric) return new(run.RunId, run.Name, fitted, null, null);

        if (!run.Data.Metrics.ContainsKey(metric.Name)) return Skip($"has no metric '{metric.Name}'");
        var history = (await store.GetMetricHistoryAsync(run.RunId, metric.Name, ct).ConfigureAwait(false)).Select(m => m.Value).ToList();
        // The same reading of a run as within a sweep: its best finite value (W&B's metric extremum).
        return new SweepRun(fitted, RunState.Finished, history).Objective(metric.Goal) is double value
            ? new(run.RunId, run.Name, fitted, value, null)
            : Skip($"has no finite value of metric '{metric.Name}'");
    }

    /// <summary>
    /// A param's text as the parameter's type: a categorical value or constant by its text (numbers by value), a
    /// number for numeric distributions (integers as <see cref="long"/>); anything else stays text, which the
    /// space check then reports.
    /// </summary>
    internal static object? ParseParam(Parameter p, string text)
    {
        IEnumerable<object?> choices = p.IsConstant ? [p.Value] : p.IsCategorical ? p.Choices : [];
        foreach (var choice in choices)
            if (ConfigJson.Format(choice) == text) return choice;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)) return text;
        foreach (var choice in choices)
            if (choice is not string && ParameterValues.KeyOf(choice) == ParameterValues.KeyOf(x)) return choice;
        return p.IsInteger && x == Math.Round(x) && Math.Abs(x) < 1e15 ? (object)(long)x : x;
    }

    // ---------------- stored with the sweep ----------------

    /// <summary>
    /// The report as write-once params of the sweep's run: <c>warm_start.0</c>, <c>warm_start.1</c>, … each holding a
    /// JSON array of runs and at most <see cref="TrackingLimits.MaxParamValueLength"/> characters.
    /// </summary>
    internal IReadOnlyList<Param> ToParams()
    {
        var chunks = new List<Param>();
        var chunk = new StringBuilder();
        void Flush()
        {
            chunks.Add(new Param(ParamPrefix + chunks.Count.ToString(CultureInfo.InvariantCulture), "[" + chunk + "]"));
            chunk.Clear();
        }
        foreach (var run in Runs)
        {
            var entry = new JsonObject { ["run"] = run.RunId, ["name"] = run.Name };
            if (run.SkipReason is { } reason) entry["skipped"] = reason;
            else
            {
                entry["config"] = JsonNode.Parse(ConfigJson.Write(run.Config!));
                if (run.Value is double v) entry["value"] = v;
            }
            var text = entry.ToJsonString();
            if (text.Length + 2 > TrackingLimits.MaxParamValueLength)
                throw new InvalidOperationException($"Run {run.RunId}'s configuration is too long to store with the sweep ({text.Length} characters).");
            if (chunk.Length > 0 && chunk.Length + text.Length + 3 > TrackingLimits.MaxParamValueLength) Flush();
            if (chunk.Length > 0) chunk.Append(',');
            chunk.Append(text);
        }
        if (chunk.Length > 0) Flush();
        return chunks;
    }

    /// <summary>The source as stored in the sweep run's <see cref="SweepTags.WarmStart"/> tag.</summary>
    internal string ToTag() => new JsonObject { ["experiment"] = Experiment, ["filter"] = Filter }.ToJsonString();

    /// <summary>Reads the report back from a sweep run's tag and params; null when the sweep has no warm start.</summary>
    internal static WarmStartReport? FromRun(Run sweepRun)
    {
        if (!sweepRun.Data.Tags.TryGetValue(SweepTags.WarmStart, out var tag)) return null;
        var source = JsonNode.Parse(tag)!;
        var runs = new List<WarmStartRun>();
        var chunks = sweepRun.Data.Params
            .Where(p => p.Key.StartsWith(ParamPrefix, StringComparison.Ordinal))
            .OrderBy(p => int.Parse(p.Key[ParamPrefix.Length..], CultureInfo.InvariantCulture));
        foreach (var (_, value) in chunks)
            foreach (var e in JsonNode.Parse(value)!.AsArray())
            {
                var (id, name) = (e!["run"]!.GetValue<string>(), e["name"]!.GetValue<string>());
                runs.Add(e["skipped"] is { } skipped
                    ? new WarmStartRun(id, name, null, null, skipped.GetValue<string>())
                    : new WarmStartRun(id, name, ConfigJson.Read(e["config"]!.ToJsonString()), e["value"]?.GetValue<double>(), null));
            }
        return new WarmStartReport(source["experiment"]!.GetValue<string>(), source["filter"]?.GetValue<string>(), runs);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"warm start from {Experiment}{(Filter is null ? "" : $" where {Filter}")}: {Used.Count} run(s) used, {Skipped.Count} skipped" +
        string.Concat(Skipped.Select(r => $"\n  skipped {r.Name} ({r.RunId}): {r.SkipReason}"));
}
