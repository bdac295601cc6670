using System.Globalization;
using Courseware.Notebooks;
using Microsoft.Data.Analysis;

namespace Courseware.Drift;

/// <summary>Calendar size of a monitoring window.</summary>
public enum WindowSize
{
    /// <summary>One calendar day (UTC).</summary>
    Day,
    /// <summary>One ISO week, Monday to Sunday.</summary>
    Week,
    /// <summary>One calendar month.</summary>
    Month,
}

/// <summary>Alert level of a PSI score, from the course's bands: &lt; 0.1 no shift, 0.1–0.25 moderate, &gt; 0.25 major.</summary>
public enum AlertLevel
{
    /// <summary>PSI &lt; 0.1.</summary>
    Ok,
    /// <summary>0.1 ≤ PSI ≤ 0.25.</summary>
    Warning,
    /// <summary>PSI &gt; 0.25.</summary>
    Critical,
}

/// <summary>One slice of production data.</summary>
/// <param name="Label">For example 2013-04, 2013-W15 or rows 0–999.</param>
/// <param name="Start">First instant of a time window (inclusive); null for row windows.</param>
/// <param name="End">End of a time window (exclusive); null for row windows.</param>
/// <param name="Data">The rows in the window.</param>
public sealed record DataWindow(string Label, DateTime? Start, DateTime? End, DataFrame Data);

/// <summary>Scores of one window against the reference.</summary>
/// <param name="Window">The window.</param>
/// <param name="Report">The full drift report (default tests per column).</param>
/// <param name="Psi">PSI per column (Evidently's bins), the monitoring score; NaN when a side has no values.</param>
public sealed record WindowScore(DataWindow Window, DriftReport Report, IReadOnlyDictionary<string, double> Psi)
{
    /// <summary>Alert level per column from the PSI bands.</summary>
    public IReadOnlyDictionary<string, AlertLevel> Alerts => Psi.ToDictionary(p => p.Key, p => DriftMonitor.AlertFor(p.Value));
}

/// <summary>
/// Monitoring: split production data into windows, score each window against the reference, chart the scores with
/// the PSI alert bands, and expose the latest values for Prometheus.
/// </summary>
/// <example><code>var result = DriftMonitor.Run(reference, DriftMonitor.Split(current, "date", WindowSize.Month));</code></example>
public static class DriftMonitor
{
    /// <summary>PSI at which a column is worth a look (course notes: moderate shift).</summary>
    public const double WarningPsi = 0.1;

    /// <summary>PSI above which a column has shifted a lot (course notes: major shift).</summary>
    public const double CriticalPsi = 0.25;

    /// <summary>The alert level of a PSI value (NaN counts as OK: nothing to compare).</summary>
    public static AlertLevel AlertFor(double psi) =>
        psi > CriticalPsi ? AlertLevel.Critical : psi >= WarningPsi ? AlertLevel.Warning : AlertLevel.Ok;

    /// <summary>Splits <paramref name="data"/> into calendar windows of its <paramref name="timeColumn"/>, in time order. Rows without a time are left out.</summary>
    public static IReadOnlyList<DataWindow> Split(DataFrame data, string timeColumn, WindowSize size)
    {
        if (!data.Columns.Select(c => c.Name).Contains(timeColumn))
            throw new ArgumentException($"The data has no column '{timeColumn}' (columns: {string.Join(", ", data.Columns.Select(c => c.Name))}).", nameof(timeColumn));
        if (data.Columns[timeColumn] is not PrimitiveDataFrameColumn<DateTime> times)
            throw new ArgumentException($"Column '{timeColumn}' holds {data.Columns[timeColumn].DataType.Name} values, not dates; read it as ColumnType.DateTime.", nameof(timeColumn));
        var groups = new SortedDictionary<DateTime, List<long>>();
        for (long i = 0; i < times.Length; i++)
        {
            if (times[i] is not { } t) continue;
            var start = WindowStart(t, size);
            if (!groups.TryGetValue(start, out var rows)) groups[start] = rows = [];
            rows.Add(i);
        }
        return groups.Select(g =>
        {
            var end = size switch { WindowSize.Day => g.Key.AddDays(1), WindowSize.Week => g.Key.AddDays(7), _ => g.Key.AddMonths(1) };
            return new DataWindow(Label(g.Key, size), g.Key, end, Rows(data, g.Value));
        }).ToList();
    }

    /// <summary>Splits <paramref name="data"/> into consecutive windows of <paramref name="rows"/> rows (the last may be shorter).</summary>
    public static IReadOnlyList<DataWindow> Split(DataFrame data, int rows)
    {
        if (rows <= 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "A window needs at least one row.");
        var windows = new List<DataWindow>();
        for (long start = 0; start < data.Rows.Count; start += rows)
        {
            long end = Math.Min(start + rows, data.Rows.Count);
            windows.Add(new DataWindow($"rows {start}–{end - 1}", null, null, Rows(data, Enumerable.Range(0, (int)(end - start)).Select(i => start + i))));
        }
        return windows;
    }

    static DataFrame Rows(DataFrame data, IEnumerable<long> rows) => data[rows];

    static DateTime WindowStart(DateTime t, WindowSize size) => size switch
    {
        WindowSize.Day => t.Date,
        WindowSize.Week => t.Date.AddDays(-(((int)t.DayOfWeek + 6) % 7)),
        _ => new DateTime(t.Year, t.Month, 1, 0, 0, 0, t.Kind),
    };

    static string Label(DateTime start, WindowSize size) => size switch
    {
        WindowSize.Day => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        WindowSize.Week => $"{ISOWeek.GetYear(start)}-W{ISOWeek.GetWeekOfYear(start):00}",
        _ => start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
    };

    /// <summary>Scores every window against <paramref name="reference"/>: a full drift report and PSI per column.</summary>
    public static MonitoringResult Run(DataFrame reference, IEnumerable<DataWindow> windows, DriftOptions? options = null)
    {
        options ??= new DriftOptions();
        var scores = new List<WindowScore>();
        foreach (var window in windows)
        {
            if (window.Data.Rows.Count == 0) continue;
            var report = DriftReport.Compute(reference, window.Data, options);
            var psi = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var column in report.Columns)
            {
                var r = DriftReport.Sample(reference.Columns[column.Name], column.Type, "reference");
                var c = DriftReport.Sample(window.Data.Columns[column.Name], column.Type, "current");
                psi[column.Name] = r.Count == 0 || c.Count == 0 ? double.NaN : StatTest.Psi.Run(r, c, WarningPsi).Statistic;
            }
            scores.Add(new WindowScore(window, report, psi));
        }
        if (scores.Count == 0) throw new ArgumentException("No window holds any rows.", nameof(windows));
        return new MonitoringResult(scores);
    }
}

/// <summary>Drift scores over a sequence of windows.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class MonitoringResult
{
    internal MonitoringResult(IReadOnlyList<WindowScore> windows) => Windows = windows;

    /// <summary>The windows in order.</summary>
    public IReadOnlyList<WindowScore> Windows { get; }

    /// <summary>The most recent window.</summary>
    public WindowScore Latest => Windows[^1];

    /// <summary>Columns scored.</summary>
    public IReadOnlyList<string> ColumnNames => Windows[0].Report.Columns.Select(c => c.Name).ToList();

    /// <summary>The first window where the column's PSI reaches <paramref name="level"/> (null if none).</summary>
    public WindowScore? FirstAlert(string column, AlertLevel level = AlertLevel.Warning) =>
        Windows.FirstOrDefault(w => w.Psi.TryGetValue(column, out var p) && DriftMonitor.AlertFor(p) >= level);

    /// <summary>The first window with dataset drift (null if none).</summary>
    public WindowScore? FirstDatasetDrift => Windows.FirstOrDefault(w => w.Report.DatasetDrift);

    /// <summary>
    /// The latest window's values in the Prometheus text exposition format (version 0.0.4), for a /metrics endpoint:
    /// PSI, drift score and verdict per column, alert level (0 ok, 1 warning, 2 critical), share of drifted columns,
    /// dataset drift, and which window they describe.
    /// </summary>
    public string ToPrometheus(string prefix = "courseware_drift")
    {
        var metrics = new PrometheusMetrics();
        AddTo(metrics, prefix);
        return metrics.ToString();
    }

    /// <summary>
    /// Adds the latest window's gauges to <paramref name="metrics"/>, each series carrying <paramref name="labels"/>
    /// first (e.g. <c>("monitor", "flights")</c>, to tell several monitors apart). Columns are the <c>feature</c> label;
    /// the window is not a label of the column gauges (a label that changes every window would cut each column's
    /// history into pieces) but of <c>{prefix}_window_info</c>, next to the window's end time and row count.
    /// </summary>
    public void AddTo(PrometheusMetrics metrics, string prefix = "courseware_drift", params (string Name, string Value)[] labels)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var latest = Latest;
        (string, string)[] With(params (string, string)[] more) => [.. labels, .. more];
        foreach (var (column, psi) in latest.Psi)
            metrics.Gauge(prefix + "_psi", "Population Stability Index of the column in the latest window against the reference.", psi, With(("feature", column)));
        foreach (var c in latest.Report.Columns.Where(c => c.Result is not null))
            metrics.Gauge(prefix + "_score", "Drift score of the column's test (p-value for tests, distance for distances).", c.Result!.Score,
                With(("feature", c.Name), ("test", c.TestName!)));
        foreach (var c in latest.Report.Columns.Where(c => c.Result is not null))
            metrics.Gauge(prefix + "_threshold", "Threshold of the column's test.", c.Result!.Threshold, With(("feature", c.Name), ("test", c.TestName!)));
        foreach (var c in latest.Report.Columns.Where(c => c.Result is not null))
            metrics.Gauge(prefix + "_detected", "1 when the column's test detected drift in the latest window, else 0.", c.Drifted ? 1 : 0, With(("feature", c.Name)));
        foreach (var (column, psi) in latest.Psi)
            metrics.Gauge(prefix + "_alert_level", "PSI alert level: 0 ok (< 0.1), 1 warning (0.1-0.25), 2 critical (> 0.25).", (int)DriftMonitor.AlertFor(psi), With(("feature", column)));
        metrics.Gauge(prefix + "_share_of_drifted_columns", "Share of columns whose test detected drift in the latest window.", latest.Report.ShareOfDriftedColumns, labels);
        metrics.Gauge(prefix + "_dataset_drift", "1 when the share of drifted columns reached the drift share, else 0.", latest.Report.DatasetDrift ? 1 : 0, labels);
        metrics.Gauge(prefix + "_window_info", "Always 1; the window label names the window the other gauges describe.", 1, With(("window", latest.Window.Label)));
        metrics.Gauge(prefix + "_window_rows", "Rows in the latest window.", latest.Window.Data.Rows.Count, labels);
        if (latest.Window.End is { } end)
            metrics.Gauge(prefix + "_window_end_timestamp_seconds", "End of the latest window (Unix time).",
                new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc)).ToUnixTimeSeconds(), labels);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Windows.Count} windows; latest {Latest.Window.Label}: {Latest.Report.NumberOfDriftedColumns} of {Latest.Report.NumberOfColumns} columns drifted";
}
