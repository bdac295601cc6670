using System.Globalization;
using System.Text;
using Courseware.Notebooks;

namespace Courseware.Benchmarks;

/// <summary>How benchmark results look in a notebook and in HTML reports (the results themselves are plain data).</summary>
internal static class BenchmarksHtml
{
    [HtmlRenderer]
    public static string Results(EvaluationResults results)
    {
        var depth = results.Depths();
        var rows = new List<object?[]>();
        void Add(string name, int n, string shots, IReadOnlyDictionary<string, MetricValue> metrics)
        {
            foreach (var (metric, value) in metrics)
            {
                var (low, high) = value.ConfidenceInterval();
                rows.Add([EvaluationResults.Alias(name, depth[name]), n, shots, metric, value.Value, double.IsNaN(value.StandardError) ? "N/A" : value.StandardError,
                    double.IsNaN(value.StandardError) ? "" : $"[{Html.FormatNumber(low)}, {Html.FormatNumber(high)}]"]);
            }
        }
        foreach (GroupResult group in results.Groups.OrderBy(g => depth[g.Name])) Add(group.Name, group.Size, "", group.Metrics);
        foreach (TaskResult task in results.Tasks) Add(task.Name, task.Samples.Count, task.Shots.ToString(CultureInfo.InvariantCulture), task.Metrics);
        var timing = results.Timing;
        var html = new StringBuilder(rows.Count == 0 ? "" : Html.Table(["task", "n", "shots", "metric", "value", "stderr", "95 % CI"], rows,
            $"{results.Model}: {timing.Items} items in {timing.Total.TotalSeconds:0.0} s ({timing.FromCache} of {timing.Requests} requests cached)"));
        foreach (GenerativeTaskResult result in results.Generative) html.Append(Generative(result));
        foreach (ContaminationSplit split in results.Contamination) html.Append(Contamination(split));
        foreach (var (task, why) in results.Failures) html.Append("<p style=\"color:#b00\">").Append(Html.Escape($"{task} did not run: {why}")).Append("</p>");
        var skipped = results.Tasks.SelectMany(t => t.Task.Problems).ToList();
        if (skipped.Count > 0) html.Append("<p>").Append(Html.Escape($"{skipped.Count} malformed row(s) skipped; first: {skipped[0]}")).Append("</p>");
        return html.ToString();
    }

    [HtmlRenderer]
    public static string Generative(GenerativeTaskResult result) =>
        Html.Table(["metric,filter", "value", "stderr"], result.Metrics.Select(m => new object?[] { m.Key, m.Value.Value, m.Value.StandardError }), $"{result.Name} ({result.Model}), {result.Samples.Count} items")
        + Html.Table(["item", "generation", "targets", .. result.Samples[0].Filtered.Keys.Select(k => $"filtered: {k}")],
            result.Samples.Take(10).Select(s => (object?[])[s.DocumentId, s.Generation, string.Join(" | ", s.Targets), .. s.Filtered.Values]), "first 10 items");

    [HtmlRenderer]
    public static string Contamination(ContaminationSplit split) => Html.Table(["metric", $"clean (n={split.CleanItems})", $"contaminated (n={split.ContaminatedItems})"],
        split.Clean.Keys.Union(split.Contaminated.Keys).Select(m => new object?[] { m, split.Clean.TryGetValue(m, out var c) ? c.ToString() : "", split.Contaminated.TryGetValue(m, out var d) ? d.ToString() : "" }),
        $"{split.Task}: clean vs contaminated items");
}
