using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>
/// How sweep results look in a notebook and in the web UI (configurations, sweeps, agents, warm starts, importance);
/// the results themselves are plain data. <see cref="SweepDashboard"/> is a view and draws itself.
/// </summary>
internal static class SweepsHtml
{
    [HtmlRenderer]
    public static string Values(ParameterValues values) =>
        Html.Table(["parameter", "value"], values.Keys.Zip(values.Values, (key, value) => new object?[] { key, value is double or long ? value : ParameterValues.KeyOf(value) }));

    [HtmlRenderer]
    public static string Config(SweepConfig config)
    {
        var caption = $"Sweep {config.Name ?? ""} — method {config.Method.ToString().ToLowerInvariant()}" +
                      (config.Metric is null ? "" : $", {config.Metric.Goal.ToString().ToLowerInvariant()} {config.Metric.Name}") +
                      (config.RunCap is null ? "" : $", run_cap {config.RunCap}");
        return Html.Table(["parameter", "distribution"], config.Space.Parameters.Select(p => new object?[] { p.Name, p.Parameter.ToString() }), caption);
    }

    [HtmlRenderer]
    public static string Sweep(Sweep sweep)
    {
        var trials = sweep.GetTrials();
        var metric = sweep.Config.Metric;
        var caption = $"Sweep {sweep.Name} ({sweep.Id}) — {sweep.GetState().ToString().ToLowerInvariant()}, {trials.Count} trial(s)"
                      + (sweep.WarmStart is { } warm ? $", warm-started from {warm.Used.Count} run(s) of {warm.Experiment}" : "");
        return Html.Table(["trial", "run", "state", metric?.Name ?? "metric", "configuration"],
            trials.Select(t => new object?[]
            {
                t.Number, t.Name, SweepTags.ToWire(t.State),
                metric is { } m && t.Objective(m.Goal) is double v ? v : null,
                t.Config.ToString(),
            }), caption);
    }

    [HtmlRenderer]
    public static string Agent(AgentReport report) => Html.Table(["trial", "run", "state", "best value", "seconds", "configuration", "detail"],
        report.Trials.Select(t => new object?[] { t.Number, t.RunId, SweepTags.ToWire(t.State), t.Objective, t.Duration.TotalSeconds, t.Config.ToString(), t.Detail }),
        $"Agent {report.Agent}: {report.Trials.Count} trial(s); quit because {report.QuitReason}");

    [HtmlRenderer]
    public static string WarmStart(WarmStartReport report) => Html.Table(["run", "used", "value", "configuration / why skipped"],
        report.Runs.Select(r => new object?[] { r.Name, r.IsUsed ? "yes" : "no", r.Value, r.IsUsed ? r.Config!.ToString() : r.SkipReason }),
        $"Warm start from {report.Experiment}{(report.Filter is null ? "" : $" where {report.Filter}")}: {report.Used.Count} run(s) used, {report.Skipped.Count} skipped");

    [HtmlRenderer]
    public static string Importance(ParameterImportance importance) =>
        Html.Table(["parameter", "importance (random forest)", "correlation"], importance.Features.Select(f => new object?[] { f.Feature, f.Importance, f.Correlation }),
            $"Parameter importance for {importance.Metric} ({importance.TrialCount} trials)") + importance.ToChart().ToHtml();
}
