using Courseware.Drift;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Drift;

public class MonitoringTests
{
    static async Task<(DataFrame Reference, DataFrame Production)> Weather()
    {
        var weather = await TableReader.ReadAsync(DriftReportTests.Dataset("seattle-weather.csv"));
        var dates = (PrimitiveDataFrameColumn<DateTime>)weather.Columns["date"];
        var reference = weather.Filter(new PrimitiveDataFrameColumn<bool>("m", dates.Select(d => (bool?)(d!.Value.Year == 2012))));
        var production = weather.Filter(new PrimitiveDataFrameColumn<bool>("m", dates.Select(d => (bool?)(d!.Value.Year >= 2013))));
        return (reference, production);
    }

    [Fact]
    public async Task MonthlyWindowsScoredAgainstTheReference()
    {
        var (reference, production) = await Weather();
        var windows = DriftMonitor.Split(production, "date", WindowSize.Month);
        Assert.Equal(36, windows.Count);
        Assert.Equal("2013-01", windows[0].Label);
        Assert.Equal(31, windows[0].Data.Rows.Count);
        Assert.Equal(28, windows[13].Data.Rows.Count); // 2014-02
        Assert.Equal(new DateTime(2013, 2, 1), windows[0].End);

        var result = DriftMonitor.Run(reference, windows);
        var july = result.Windows.Single(w => w.Window.Label == "2013-07");
        // PSI with Evidently's bins, from numpy (reference/make_reference.py).
        DriftStatsTests.Close(DriftStatsTests.Scipy["seattle.2013-07.temp_max.psi"], july.Psi["temp_max"], 1e-9, "temp_max");
        DriftStatsTests.Close(DriftStatsTests.Scipy["seattle.2013-07.wind.psi"], july.Psi["wind"], 1e-9, "wind");
        DriftStatsTests.Close(DriftStatsTests.Scipy["seattle.2013-07.weather.psi"], july.Psi["weather"], 1e-9, "weather");
        Assert.Equal(AlertLevel.Critical, july.Alerts["temp_max"]);
        // A summer month against a whole year: the season shows up as drift.
        Assert.NotNull(result.FirstAlert("temp_max", AlertLevel.Critical));
        Assert.Equal("2015-12", result.Latest.Window.Label);
    }

    [Theory]
    [InlineData(0.0999, AlertLevel.Ok)]
    [InlineData(0.1, AlertLevel.Warning)]
    [InlineData(0.25, AlertLevel.Warning)]
    [InlineData(0.2501, AlertLevel.Critical)]
    [InlineData(double.NaN, AlertLevel.Ok)]
    public void PsiBands(double psi, AlertLevel level) => Assert.Equal(level, DriftMonitor.AlertFor(psi));

    [Fact]
    public void WeeklyAndRowWindows()
    {
        var days = Enumerable.Range(0, 20).Select(i => (DateTime?)new DateTime(2013, 1, 1).AddDays(i)).ToList();
        days[5] = null; // rows without a time are left out
        var df = new DataFrame(new PrimitiveDataFrameColumn<DateTime>("t", days), new DoubleDataFrameColumn("x", Enumerable.Range(0, 20).Select(i => (double?)i)));
        var weeks = DriftMonitor.Split(df, "t", WindowSize.Week);
        Assert.Equal(["2013-W01", "2013-W02", "2013-W03"], weeks.Select(w => w.Label));
        Assert.Equal(new DateTime(2012, 12, 31), weeks[0].Start); // ISO weeks start on Monday
        Assert.Equal(5, weeks[0].Data.Rows.Count); // Tue 1 Jan … Sun 6 Jan without the missing 6th
        Assert.Equal(19, weeks.Sum(w => w.Data.Rows.Count));
        var rows = DriftMonitor.Split(df, 8);
        Assert.Equal([8L, 8L, 4L], rows.Select(w => w.Data.Rows.Count));
        Assert.Equal(16.0, rows[2].Data.Columns["x"][0]);
        var e = Assert.Throws<ArgumentException>(() => DriftMonitor.Split(df, "x", WindowSize.Day));
        Assert.Contains("Column 'x' holds Double values, not dates", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Split(df, "when", WindowSize.Day));
        Assert.Contains("no column 'when'", e.Message);
    }

    [Fact]
    public void PrometheusExpositionOfTheLatestWindow()
    {
        var reference = new DataFrame(new DoubleDataFrameColumn("a\"b", Enumerable.Range(0, 100).Select(i => (double?)(i % 10))),
            new StringDataFrameColumn("c", Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? "x" : "y")));
        var current = new DataFrame(new DoubleDataFrameColumn("a\"b", Enumerable.Range(0, 100).Select(i => (double?)(i % 5))),
            new StringDataFrameColumn("c", Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? "x" : "y")));
        var result = DriftMonitor.Run(reference, DriftMonitor.Split(current, 50));
        var text = result.ToPrometheus();
        var families = PrometheusTextParser.Parse(text);
        Assert.All(families.Values, f => Assert.Equal(("gauge", true), (f.Type, f.Help is { Length: > 0 })));
        // Closed form: values 0..9 uniform vs 0..4 uniform → five bins at 0.1 vs 0.2 and five at 0.1 vs 1e-4 (smoothed).
        double expected = 5 * (0.1 - 0.2) * Math.Log(0.1 / 0.2) + 5 * (0.1 - 1e-4) * Math.Log(0.1 / 1e-4);
        Assert.Equal(expected, families["courseware_drift_psi"].Single(("feature", "a\"b")).Value, 12);
        Assert.Equal(result.Latest.Psi["a\"b"], families["courseware_drift_psi"].Single(("feature", "a\"b")).Value);
        // The label is escaped on the wire (the parser above undid it).
        Assert.Contains("courseware_drift_psi{feature=\"a\\\"b\"} ", text);
        Assert.Equal(2, families["courseware_drift_alert_level"].Single(("feature", "a\"b")).Value);
        Assert.Equal(0, families["courseware_drift_alert_level"].Single(("feature", "c")).Value);
        Assert.Equal(0.5, families["courseware_drift_share_of_drifted_columns"].Samples.Single().Value);
        // The window is a label of window_info only, so each column's series survives a new window.
        Assert.Equal("rows 50–99", families["courseware_drift_window_info"].Samples.Single().Labels["window"]);
        Assert.All(families["courseware_drift_psi"].Samples, s => Assert.Equal(["feature"], s.Labels.Keys));
        Assert.Equal(50, families["courseware_drift_window_rows"].Samples.Single().Value);
        Assert.False(families.ContainsKey("courseware_drift_window_end_timestamp_seconds")); // row windows have no end time
    }
}
