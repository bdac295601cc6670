using System.Text;
using Courseware.Notebooks;

namespace Courseware.Drift;

/// <summary>
/// HTML for drift results (reports, test suites, concept drift, monitoring): a dataset summary, the per-column table,
/// distribution overlays and monitoring charts. The results themselves are plain data.
/// </summary>
internal static class DriftHtml
{
    /// <summary>A complete offline document (plotly.js embedded once in the head).</summary>
    public static string Document(DriftReport report, MonitoringResult? monitoring) =>
        PlotlyJs.StandaloneDocument("Data drift report", Body(report, monitoring, c => c.Fragment()));

    /// <summary>A notebook fragment (each chart brings plotly.js the first time one is shown).</summary>
    public static string Fragment(DriftReport report, MonitoringResult? monitoring) => Body(report, monitoring, c => c.ToHtml());

    [HtmlRenderer]
    public static string Report(DriftReport report) => Fragment(report, null);

    [HtmlRenderer]
    public static string TestSuite(TestSuiteResult result) =>
        "<h3>Test suite: " + Html.Escape(result.Failed ? "FAILED" : "passed") + "</h3>" +
        Html.Table(["status", "test", "column", "description"],
            result.Results.Select(r => new object?[] { r.Status.ToString().ToUpperInvariant(), r.Name, r.Column, r.Description }));

    [HtmlRenderer]
    public static string ConceptDrift(ConceptDriftResult result) =>
        Html.Table(["window", "rows", result.Metric.ToString(), "degradation", "concept drift"],
            result.Windows.Select(w => new object?[] { w.Label, w.Rows, w.Quality, w.Degradation, w.Drifted ? "yes" : "no" }),
            $"Concept drift: reference {result.Metric} {Html.FormatNumber(result.ReferenceQuality)}, tolerance {Html.FormatNumber(result.Tolerance)}") + result.ToChart().ToHtml();

    [HtmlRenderer]
    public static string MonitoringFragment(MonitoringResult monitoring)
    {
        var sb = new StringBuilder();
        AppendMonitoring(sb, monitoring, c => c.ToHtml());
        return sb.ToString();
    }

    static string Body(DriftReport report, MonitoringResult? monitoring, Func<Chart, string> render)
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"cw-drift\">");
        sb.Append("<h2>Data drift</h2>");
        var verdict = report.DatasetDrift ? "Dataset drift detected" : "No dataset drift";
        var color = report.DatasetDrift ? "#b00020" : "#1b7e3c";
        sb.Append("<p style=\"font-size:15px\"><b style=\"color:").Append(color).Append("\">").Append(Html.Escape(verdict)).Append("</b>: ")
          .Append(Html.Escape(report.NumberOfDriftedColumns)).Append(" of ").Append(Html.Escape(report.NumberOfColumns))
          .Append(" columns drifted (share ").Append(Html.Escape(report.ShareOfDriftedColumns))
          .Append("; dataset drift when the share is at least ").Append(Html.Escape(report.DriftShare)).Append(").</p>");
        sb.Append(Html.Table(["", "reference", "current"],
        [
            ["rows", report.ReferenceRows, report.CurrentRows],
            ["columns tested", report.NumberOfColumns, report.NumberOfColumns],
        ], "Dataset summary"));
        if (report.Warnings.Count > 0)
        {
            sb.Append("<ul style=\"color:#8a5300\">");
            foreach (var w in report.Warnings) sb.Append("<li>").Append(Html.Escape(w)).Append("</li>");
            sb.Append("</ul>");
        }
        sb.Append(Html.Table(
            ["column", "type", "role", "test", "score", "threshold", "drifted", "statistic", "missing (ref)", "missing (cur)"],
            report.Columns.Select(c => new object?[]
            {
                c.Name, c.Type.ToString().ToLowerInvariant(), c.Role, c.Test?.DisplayName ?? "—",
                c.Result?.Score, c.Result?.Threshold,
                c.Error is not null ? "error: " + c.Error : c.Drifted ? "DRIFT" : "no",
                c.Result?.Statistic, c.Reference.MissingShare, c.Current.MissingShare,
            }), "Columns (score: the p-value for tests, drift when below the threshold; the distance for distances, drift when at or above it)"));
        sb.Append("<h3>Distributions (reference vs current)</h3>");
        foreach (var c in report.Columns.Where(c => c.Distribution is not null))
        {
            var d = c.Distribution!;
            var labels = d.Labels.Select(Text).ToArray();
            var chart = Chart.Bars(
            [
                Series.Categorical("reference", labels, d.Reference),
                Series.Categorical("current", labels, d.Current),
            ], Text($"{c.Name} ({c.Test?.Name}: {(c.Result is null ? "—" : Html.FormatNumber(c.Result.Score))}{(c.Drifted ? ", drift" : "")})"), Text(c.Name), "share");
            sb.Append(render(chart));
        }
        if (monitoring is not null) AppendMonitoring(sb, monitoring, render);
        sb.Append("</div>");
        return sb.ToString();
    }

    // Plotly reads chart text as a small HTML subset and shows entities as characters, so escaping user strings keeps
    // them literal on screen and keeps "</script>" in a column name from ending the chart's script element.
    internal static string Text(string value) => System.Net.WebUtility.HtmlEncode(value);

    static void AppendMonitoring(StringBuilder sb, MonitoringResult monitoring, Func<Chart, string> render)
    {
        sb.Append("<h3>Drift over windows</h3>");
        sb.Append(render(monitoring.ToChart()));
        sb.Append(render(monitoring.ToShareChart()));
        sb.Append(Html.Table(["window", "rows", "drifted columns", "share", "dataset drift", "worst PSI alert"],
            monitoring.Windows.Select(w => new object?[]
            {
                w.Window.Label, w.Window.Data.Rows.Count, w.Report.NumberOfDriftedColumns, w.Report.ShareOfDriftedColumns,
                w.Report.DatasetDrift ? "yes" : "no",
                w.Alerts.Count == 0 ? "—" : w.Alerts.Values.Max().ToString().ToLowerInvariant(),
            }), "Windows"));
    }
}
