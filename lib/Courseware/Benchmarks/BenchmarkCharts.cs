using Courseware.Notebooks;

namespace Courseware.Benchmarks;

/// <summary>Charts of evaluation results (presentation, kept apart from the results): <c>results.Chart("acc")</c>.</summary>
public static class BenchmarkCharts
{
    /// <summary>A bar chart of one metric per task and group, with ±1 standard error bars.</summary>
    public static Chart Chart(this EvaluationResults results, string metric = "acc")
    {
        ArgumentNullException.ThrowIfNull(results);
        var rows = results.Groups.Select(g => (g.Name, g.Metrics)).Concat(results.Tasks.Select(t => (t.Name, t.Metrics)))
            .Where(r => r.Metrics.ContainsKey(metric)).ToList();
        var series = new Series(metric, rows.Select(r => r.Metrics[metric].Value).ToArray(), Labels: rows.Select(r => r.Name).ToArray(),
            ErrorY: rows.Select(r => double.IsNaN(r.Metrics[metric].StandardError) ? 0 : r.Metrics[metric].StandardError).ToArray());
        return Notebooks.Chart.Bars([series], $"{results.Model}: {metric}", "task", metric);
    }
}
