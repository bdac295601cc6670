using Courseware.Notebooks;

namespace Courseware.Drift;

/// <summary>Charts of drift results (presentation, kept apart from the results): <c>monitoring.ToChart()</c>, <c>concept.ToChart()</c>.</summary>
public static class DriftCharts
{
    /// <summary>Quality per window with the reference level and the tolerance line.</summary>
    public static Chart ToChart(this ConceptDriftResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var labels = result.Windows.Select(w => DriftHtml.Text(w.Label)).ToArray();
        bool higherBetter = result.Metric == QualityMetric.Accuracy;
        double limit = higherBetter ? result.ReferenceQuality * (1 - result.Tolerance) : result.ReferenceQuality * (1 + result.Tolerance);
        return Chart.Lines(
        [
            new Series(result.Metric.ToString(), result.Windows.Select(w => w.Quality).ToArray(), Labels: labels),
            new Series("reference", labels.Select(_ => result.ReferenceQuality).ToArray(), Labels: labels),
            new Series($"tolerance ({result.Tolerance:P0})", labels.Select(_ => limit).ToArray(), Labels: labels),
        ], "Model quality per window", "window", result.Metric.ToString(), markers: true);
    }

    /// <summary>PSI per column over the windows, with the 0.1 and 0.25 alert bands drawn as lines.</summary>
    public static Chart ToChart(this MonitoringResult monitoring, string? title = "PSI per window")
    {
        ArgumentNullException.ThrowIfNull(monitoring);
        var labels = monitoring.Windows.Select(w => DriftHtml.Text(w.Window.Label)).ToArray();
        var series = monitoring.ColumnNames.Select(c => new Series(DriftHtml.Text(c), monitoring.Windows.Select(w => w.Psi[c]).ToArray(), Labels: labels)).ToList();
        series.Add(new Series("warning (0.1)", labels.Select(_ => DriftMonitor.WarningPsi).ToArray(), Labels: labels));
        series.Add(new Series("critical (0.25)", labels.Select(_ => DriftMonitor.CriticalPsi).ToArray(), Labels: labels));
        return Chart.Lines(series, title, "window", "PSI", markers: true);
    }

    /// <summary>Share of drifted columns per window, against the drift-share threshold.</summary>
    public static Chart ToShareChart(this MonitoringResult monitoring, string? title = "Share of drifted columns")
    {
        ArgumentNullException.ThrowIfNull(monitoring);
        var labels = monitoring.Windows.Select(w => DriftHtml.Text(w.Window.Label)).ToArray();
        return Chart.Lines(
        [
            new Series("share of drifted columns", monitoring.Windows.Select(w => w.Report.ShareOfDriftedColumns).ToArray(), Labels: labels),
            new Series("drift share threshold", monitoring.Windows.Select(w => w.Report.DriftShare).ToArray(), Labels: labels),
        ], title, "window", "share", markers: true);
    }
}
