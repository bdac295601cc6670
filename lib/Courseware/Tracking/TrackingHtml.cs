using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Tracking;

/// <summary>How tracking entities look in a notebook (the entities themselves are plain data).</summary>
internal static class TrackingHtml
{
    /// <summary>One table: params, latest metrics (with their step) and the user's tags (system tags left out).</summary>
    [HtmlRenderer]
    public static string Run(Run run)
    {
        var rows = run.Data.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new object?[] { "params." + p.Key, p.Value, null })
            .Concat(run.Data.Metrics.Values.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new object?[] { "metrics." + m.Key, m.Value, m.Step }))
            .Concat(run.Data.Tags.Where(t => !SystemTags.IsSystem(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new object?[] { "tags." + t.Key, t.Value, null }));
        return Html.Table(["key", "value", "step"], rows, run.ToString());
    }

    [HtmlRenderer]
    public static string History(MetricHistory history)
    {
        var shown = history.Thin();
        var caption = $"{history.Key} of run {history.RunId}: {history.Points.Count} points" + (shown.Count < history.Points.Count ? $" ({shown.Count} shown, min/max kept)" : "");
        return Html.Table(["step", "timestamp (UTC)", "value"],
            shown.Select(p => new object?[] { p.Step, p.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), p.Value }),
            caption);
    }

    [HtmlRenderer]
    public static string Comparison(RunComparison comparison)
    {
        var differing = comparison.DifferingParams.ToHashSet();
        var rows = comparison.ParamKeys.Select(k => new object?[] { (differing.Contains(k) ? "≠ " : "") + "params." + k }.Concat(comparison.Runs.Select(r => (object?)r.Param(k))))
            .Concat(comparison.MetricKeys.Select(k => new object?[] { "metrics." + k }.Concat(comparison.Runs.Select(r => (object?)r.Metric(k)))));
        return Html.Table(comparison.Runs.Select(r => r.Name).Prepend(""), rows, $"Comparing {comparison.Runs.Count} runs");
    }

    [HtmlRenderer]
    public static string Page(RunPage page)
    {
        var metrics = page.MetricKeys;
        var @params = page.ParamKeys;
        var headers = new[] { "run", "status", "started (UTC)", "duration" }
            .Concat(metrics.Select(k => "metrics." + k)).Concat(@params.Select(k => "params." + k));
        var rows = page.Take(RunPage.HtmlRowLimit).Select(r => new object?[]
            {
                r.Name, r.Info.Status.ToWire(),
                DateTimeOffset.FromUnixTimeMilliseconds(r.Info.StartTime).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                r.Info.Duration is { } d ? $"{d.TotalSeconds:0.0} s" : "running",
            }
            .Concat(metrics.Select(k => (object?)r.Metric(k)))
            .Concat(@params.Select(k => (object?)r.Param(k))));
        var caption = page.Count > RunPage.HtmlRowLimit
            ? $"{page.Count} runs (first {RunPage.HtmlRowLimit} shown)"
            : $"{page.Count} run{(page.Count == 1 ? "" : "s")}";
        return Html.Table(headers, rows, caption + (page.NextPageToken is null ? "" : "; more pages available"));
    }
}
