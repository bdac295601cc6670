using Courseware.Drift;
using Courseware.Tests.Tracking;

namespace Courseware.Tests.Drift;

/// <summary>
/// Monitoring YAML and the Prometheus exporter: values through the whole path (file → filter → windows → gauges →
/// text → strict parse) equal scipy/numpy's PSI (reference/make_reference.py), files re-scored when they change, and
/// every configuration error names the file, line, column and field.
/// </summary>
public sealed class DriftExporterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    // Reference = 2012, current = 2013-01 .. 2013-07 in months: the latest window is July 2013.
    private string WeatherYaml(string name = "seattle") => $$"""
        monitors:
          - name: {{name}}
            reference: { path: "{{DriftReportTests.Dataset("seattle-weather.csv")}}", to: 2013-01-01 }
            current: { path: "{{DriftReportTests.Dataset("seattle-weather.csv")}}", from: 2013-01-01, to: 2013-08-01 }
            time_column: date
            window: month
            columns: [temp_max, wind, weather]
        """;

    [Fact]
    public async Task Gauges_of_the_latest_window_match_numpy_psi_through_the_whole_path()
    {
        var exporter = await DriftExporter.LoadAsync(Write("monitors.yaml", WeatherYaml()));
        var families = PrometheusTextParser.Parse(await exporter.ScrapeAsync());
        var psi = families["courseware_drift_psi"];
        foreach (var column in new[] { "temp_max", "wind", "weather" })
            DriftStatsTests.Close(DriftStatsTests.Scipy[$"seattle.2013-07.{column}.psi"], psi.Single(("monitor", "seattle"), ("feature", column)).Value, 1e-9, column);
        Assert.Equal(3, psi.Samples.Count);
        Assert.Equal(["monitor", "feature"], psi.Samples[0].Labels.Keys);
        Assert.Equal("2013-07", families["courseware_drift_window_info"].Single(("monitor", "seattle")).Labels["window"]);
        Assert.Equal(31, families["courseware_drift_window_rows"].Samples.Single().Value);
        Assert.Equal(new DateTimeOffset(2013, 8, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), families["courseware_drift_window_end_timestamp_seconds"].Samples.Single().Value);
        Assert.Equal(1, families["courseware_drift_monitor_up"].Single(("monitor", "seattle")).Value);
        Assert.Equal(1, families["courseware_drift_monitors"].Samples.Single().Value);
        // temp_max in July against a whole year: critical (PSI > 0.25), as the scipy value says.
        Assert.True(DriftStatsTests.Scipy["seattle.2013-07.temp_max.psi"] > 0.25);
        Assert.Equal(2, families["courseware_drift_alert_level"].Single(("feature", "temp_max")).Value);
        Assert.Equal(7, exporter.Statuses.Single().Result!.Windows.Count);
    }

    [Fact]
    public async Task Two_monitors_share_each_metric_family_and_a_changed_file_is_scored_again()
    {
        var reference = Write("ref.csv", "x\n" + string.Join("\n", Enumerable.Range(0, 100).Select(i => i % 10)) + "\n");
        var current = Write("cur.csv", "x\n" + string.Join("\n", Enumerable.Range(0, 100).Select(i => i % 10)) + "\n");
        var yaml = Write("monitors.yaml", WeatherYaml() + $$"""

              - name: synthetic
                reference: ref.csv
                current: cur.csv
            prefix: shop_drift
            """);
        var exporter = await DriftExporter.LoadAsync(yaml);
        var families = PrometheusTextParser.Parse(await exporter.ScrapeAsync());
        Assert.Equal(["seattle", "synthetic"], families["shop_drift_monitor_up"].Samples.Select(s => s.Labels["monitor"]));
        Assert.Equal(0, families["shop_drift_psi"].Single(("monitor", "synthetic"), ("feature", "x")).Value); // identical samples
        var firstRefresh = exporter.Statuses[1].RefreshedAt;

        // Production moves to 0..4: the closed form of the PSI test in MonitoringTests.
        File.WriteAllText(current, "x\n" + string.Join("\n", Enumerable.Range(0, 100).Select(i => i % 5)) + "\n");
        File.SetLastWriteTimeUtc(current, DateTime.UtcNow.AddMinutes(1));
        families = PrometheusTextParser.Parse(await exporter.ScrapeAsync());
        double expected = 5 * (0.1 - 0.2) * Math.Log(0.1 / 0.2) + 5 * (0.1 - 1e-4) * Math.Log(0.1 / 1e-4);
        Assert.Equal(expected, families["shop_drift_psi"].Single(("monitor", "synthetic"), ("feature", "x")).Value, 12);
        Assert.NotEqual(firstRefresh, exporter.Statuses[1].RefreshedAt);

        // A file that breaks takes its monitor down (up 0, no stale gauges) and leaves the other one alone.
        File.WriteAllText(current, "y\n1\n");
        File.SetLastWriteTimeUtc(current, DateTime.UtcNow.AddMinutes(2));
        families = PrometheusTextParser.Parse(await exporter.ScrapeAsync());
        Assert.Equal(0, families["shop_drift_monitor_up"].Single(("monitor", "synthetic")).Value);
        Assert.Equal(1, families["shop_drift_monitor_up"].Single(("monitor", "seattle")).Value);
        Assert.DoesNotContain(families["shop_drift_psi"].Samples, s => s.Labels["monitor"] == "synthetic");
        var error = exporter.Statuses[1].Error!;
        Assert.Contains("monitors[1].current (monitor 'synthetic'): Column(s) 'x' are in the reference data but missing from the current data", error);
    }

    [Theory]
    [InlineData("monitors: []\n", "line 1, column 1: missing 'monitors'")]
    [InlineData("monitor: []\n", "line 1, column 1: unknown key 'monitor'; expected one of prefix, monitors")]
    [InlineData("prefix: drift-psi\nmonitors: []\n", "line 1, column 9: prefix: 'drift-psi' is not a Prometheus metric name")]
    [InlineData("monitors:\n  - name: a\n    current: c.csv\n", "line 2, column 5: monitors[0]: missing 'reference'")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    windw: week\n", "line 5, column 5: monitors[0]: unknown key 'windw'")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    window: week\n", "line 5, column 13: monitors[0].window: 'week' windows need a 'time_column'")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    window: fortnight\n", "line 5, column 13: monitors[0].window: expected day, week, month or a number of rows, found 'fortnight'")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    window: 0\n", "line 5, column 13: monitors[0].window: a window needs at least one row")]
    [InlineData("monitors:\n  - name: a\n    reference: { path: r.csv, from: 2013-01-01 }\n    current: c.csv\n", "line 3, column 37: monitors[0].reference.from: 'from' and 'to' need a 'time_column'")]
    [InlineData("monitors:\n  - name: a\n    time_column: date\n    reference: { path: r.csv, to: 13/2013 }\n    current: c.csv\n", "line 4, column 35: monitors[0].reference.to: expected a date like 2013-01-01")]
    [InlineData("monitors:\n  - name: a\n    reference: { file: r.csv }\n    current: c.csv\n", "line 3, column 18: monitors[0].reference: unknown key 'file'; expected one of path, from, to")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n    drift_share: 2\n", "line 5, column 18: expected a number between 0 and 1")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: c.csv\n  - name: a\n    reference: r.csv\n    current: c.csv\n", "line 5, column 5: monitors[1].name: 'a' is already the name of another monitor")]
    [InlineData("monitors:\n  - name: a\n    reference: r.csv\n    current: [c.csv\n", "line 5, column 1: While parsing")]
    public void Configuration_errors_name_the_file_line_column_and_field(string yaml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => MonitorConfig.Load(Write("monitors.yaml", yaml)));
        Assert.StartsWith("monitors.yaml ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task Data_errors_at_load_name_the_monitor_and_field()
    {
        Write("r.csv", "x\n1\n2\n");
        var missing = await Assert.ThrowsAsync<InvalidDataException>(() => DriftExporter.LoadAsync(Write("m1.yaml",
            "monitors:\n  - name: a\n    reference: r.csv\n    current: nowhere.csv\n")));
        Assert.Contains("m1.yaml line 4, column 14: monitors[0].current", missing.Message);
        Assert.Contains(Path.Combine(_folder.Path, "nowhere.csv"), missing.Message);

        var noTime = await Assert.ThrowsAsync<InvalidDataException>(() => DriftExporter.LoadAsync(Write("m2.yaml",
            "monitors:\n  - name: a\n    time_column: day\n    reference: { path: r.csv, to: 2013-01-01 }\n    current: r.csv\n")));
        Assert.Contains("m2.yaml line 4, column 16: monitors[0].reference: the data has no time column 'day' (columns: x)", noTime.Message);

        var noDates = await Assert.ThrowsAsync<InvalidDataException>(() => DriftExporter.LoadAsync(Write("m3.yaml",
            "monitors:\n  - name: b\n    time_column: x\n    window: week\n    reference: r.csv\n    current: r.csv\n")));
        Assert.Contains("m3.yaml line 6, column 14: monitors[0].current (monitor 'b'): Column 'x' holds Double values, not dates", noDates.Message);

        // Current data is read with the reference's types: a value that is not a number is named where it is.
        Write("c.csv", "x\n1\nabc\n");
        var notANumber = await Assert.ThrowsAsync<InvalidDataException>(() => DriftExporter.LoadAsync(Write("m4.yaml",
            "monitors:\n  - name: c\n    reference: r.csv\n    current: c.csv\n")));
        Assert.Contains("m4.yaml line 4, column 14: monitors[0].current: 'c.csv' line 3, column 'x': expected a number, found 'abc'.", notANumber.Message);

        await Assert.ThrowsAsync<FileNotFoundException>(() => DriftExporter.LoadAsync(Path.Combine(_folder.Path, "absent.yaml")));
    }
}
