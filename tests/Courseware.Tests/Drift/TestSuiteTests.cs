using Courseware.Drift;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Drift;

public class TestSuiteTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cw-drift-suite-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // x drifts (KS p = 0.0127 on the exact_unequal_n case), y does not (identical), c is categorical, m has missing values.
    static (DataFrame Reference, DataFrame Current) Data()
    {
        var (r, c) = Samples.Case("exact_unequal_n");
        var same = Samples.Draw(40, 30, "normal");
        DataFrame F(double[] x, double[] y, int n) => new(
            new DoubleDataFrameColumn("x", x.Select(v => (double?)v)),
            new DoubleDataFrameColumn("y", y.Take(n).Select(v => (double?)v)),
            new StringDataFrameColumn("c", Enumerable.Range(0, n).Select(i => i % 3 == 0 ? "a" : "b")),
            new DoubleDataFrameColumn("m", Enumerable.Range(0, n).Select(i => i % 5 == 0 ? null : (double?)i)));
        return (F(r, same, 30), F(c, same.Concat(same).ToArray(), 45));
    }

    [Fact]
    public void StatusesFromCSharpChecks()
    {
        var (reference, current) = Data();
        var result = new TestSuite(
        [
            SuiteTest.ShareOfDriftedColumns(),                                   // 1 of 4 drifted: 0.25 < 0.3 → SUCCESS
            SuiteTest.ShareOfDriftedColumns(new Condition(Lt: 0.2)),            // FAIL
            SuiteTest.ShareOfDriftedColumns(new Condition(Lt: 0.2), critical: false), // WARNING
            SuiteTest.ColumnDrift("x"),                                         // FAIL (KS p 0.0127)
            SuiteTest.ColumnDrift("x", threshold: 0.01),                        // SUCCESS with a stricter level
            SuiteTest.ColumnDrift("nope"),                                      // ERROR: no such column
            SuiteTest.MeanInNSigmas("c"),                                       // SKIPPED: categorical
            SuiteTest.MeanInNSigmas("y"),                                       // SUCCESS
            SuiteTest.ShareOfMissingValues("m", new Condition(Lte: 0.1)),       // 9/45 = 0.2 → FAIL
        ]).Run(reference, current);
        Assert.Equal(
            [TestStatus.Success, TestStatus.Fail, TestStatus.Warning, TestStatus.Fail, TestStatus.Success, TestStatus.Error, TestStatus.Skipped, TestStatus.Success, TestStatus.Fail],
            result.Results.Select(r => r.Status));
        Assert.True(result.Failed);
        Assert.Equal(0.25, result.Results[0].Value);
        Assert.Equal(DriftStatsTests.Scipy["exact_unequal_n.ks.p"], result.Results[3].Value!.Value, 9);
        Assert.Equal(0.2, result.Results[8].Value!.Value, 12);
        Assert.Contains("Column 'nope' is not among the tested columns", result.Results[5].Description);
        Assert.Equal(3, result.Summary[TestStatus.Fail]);
    }

    [Fact]
    public void MeanInNSigmasClosedForm()
    {
        // reference 0..9: mean 4.5, std (ddof 1) 3.02765 (numpy); current mean 11 lies outside 4.5 ± 2σ = [-1.5553, 10.5553].
        var reference = new DataFrame(new DoubleDataFrameColumn("v", Enumerable.Range(0, 10).Select(i => (double?)i)));
        var current = new DataFrame(new DoubleDataFrameColumn("v", new double?[] { 10, 11, 12 }));
        var suite = new TestSuite([SuiteTest.MeanInNSigmas("v"), SuiteTest.MeanInNSigmas("v", nSigmas: 3)]);
        var result = suite.Run(reference, current);
        Assert.Equal(TestStatus.Fail, result.Results[0].Status);
        Assert.Equal(TestStatus.Success, result.Results[1].Status); // 4.5 + 3·3.0277 = 13.58
        Assert.Contains("[-1.5553, 10.5553]", result.Results[0].Description);
    }

    [Fact]
    public void YamlSuiteRunsAndReportsJson()
    {
        var (reference, current) = Data();
        var suite = TestSuiteYaml.Parse("""
            drift_share: 0.25
            per_column:
              c: { test: psi, threshold: 0.2 }
            tests:
              - share_of_drifted_columns: { lt: 0.3 }
              - column_drift: { column: x, test: ks, threshold: 0.01 }
              - mean_in_n_sigmas: { column: x, n_sigmas: 0.1, critical: false }
              - share_of_missing_values: { column: m, lte: 0.25 }
              - number_of_drifted_columns: { lte: 1 }
            """);
        Assert.Equal(0.25, suite.Options.DriftShare);
        var result = suite.Run(reference, current);
        Assert.Equal("psi", result.Report["c"].TestName);
        Assert.True(result.Report.DatasetDrift); // 1 of 4 ≥ 0.25
        Assert.Equal([TestStatus.Success, TestStatus.Success, TestStatus.Warning, TestStatus.Success, TestStatus.Success], result.Results.Select(r => r.Status));
        Assert.False(result.Failed);
        using var doc = System.Text.Json.JsonDocument.Parse(result.ToJson());
        Assert.True(doc.RootElement.GetProperty("success").GetBoolean());
        Assert.Equal("WARNING", doc.RootElement.GetProperty("tests")[2].GetProperty("status").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("summary").GetProperty("WARNING").GetInt32());
        Assert.Equal(4, doc.RootElement.GetProperty("drift").GetProperty("number_of_columns").GetInt32());
    }

    [Theory]
    [InlineData("tests:\n  - colum_drift: { column: x }\n", "tests.yaml line 2, column 5: unknown test 'colum_drift'")]
    [InlineData("tests:\n  - column_drift: { column: x, test: kss }\n", "tests.yaml line 2, column 38: unknown drift test 'kss'")]
    [InlineData("tests:\n  - share_of_drifted_columns: { lt: lots }\n", "tests.yaml line 2, column 37: expected a number, found 'lots'")]
    [InlineData("drift_share: 2\ntests: []\n", "tests.yaml line 1, column 14: expected a number between 0 and 1, found 2")]
    [InlineData("tests:\n  - mean_in_n_sigmas: { n_sigmas: 2 }\n", "tests.yaml line 2, column 5: 'mean_in_n_sigmas' needs a 'column'")]
    [InlineData("tests:\n  - number_of_drifted_columns: {}\n", "tests.yaml line 2, column 5: 'number_of_drifted_columns' needs a condition")]
    [InlineData("tests:\n  - column_drift: { column: x, critical: maybe }\n", "tests.yaml line 2, column 42: expected true or false, found 'maybe'")]
    [InlineData("tset: []\n", "tests.yaml line 1, column 1: unknown key 'tset'")]
    [InlineData("drift_share: 0.5\n", "tests.yaml line 1, column 1: missing 'tests'")]
    [InlineData("tests: [\n", "tests.yaml line 2, column 1:")]
    [InlineData("per_column:\n  x: { type: text }\ntests: []\n", "tests.yaml line 2, column 14: unknown column type 'text'")]
    public void YamlErrorsNameLineAndColumn(string yaml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TestSuiteYaml.Parse(yaml));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public async Task CliExitsOneOnFailAndWritesReportAndJson()
    {
        var (reference, current) = Data();
        string refPath = Path.Combine(_dir, "ref.csv"), curPath = Path.Combine(_dir, "cur.csv");
        DataFrame.SaveCsv(reference, refPath);
        DataFrame.SaveCsv(current, curPath);
        var failing = Path.Combine(_dir, "fail.yaml");
        File.WriteAllText(failing, "tests:\n  - column_drift: { column: x }\n");
        var passing = Path.Combine(_dir, "pass.yaml");
        File.WriteAllText(passing, "tests:\n  - column_drift: { column: y }\n  - share_of_drifted_columns: { lt: 0.5 }\n");
        string html = Path.Combine(_dir, "out", "report.html"), json = Path.Combine(_dir, "out", "r.json");

        Assert.Equal(1, await Invoke(refPath, curPath, "--tests", failing));
        Assert.Equal(0, await Invoke(refPath, curPath, "--tests", passing, "--report", html, "--json", json));
        Assert.Contains("<script", File.ReadAllText(html));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(doc.RootElement.GetProperty("success").GetBoolean());
        Assert.Equal(0, await Invoke(refPath, curPath)); // no suite: report only

        // Drift over windows from the current data's date column, and the latest window's Prometheus metrics.
        var weather = DriftReportTests.Dataset("seattle-weather.csv");
        string prom = Path.Combine(_dir, "out", "metrics.prom"), windows = Path.Combine(_dir, "out", "windows.html");
        Assert.Equal(0, await Invoke(weather, weather, "--time-column", "date", "--window", "Month", "--report", windows, "--prometheus", prom));
        Assert.Contains("Drift over windows", File.ReadAllText(windows));
        var written = PrometheusTextParser.Parse(File.ReadAllText(prom));
        Assert.Equal("2015-12", written["courseware_drift_window_info"].Samples.Single().Labels["window"]);
        Assert.Single(written["courseware_drift_psi"].Samples, s => s.Labels["feature"] == "temp_max");
        Assert.Equal(2, await Invoke(refPath, curPath, "--prometheus", prom)); // metrics need windows
        File.WriteAllText(failing, "tests:\n  - nonsense: {}\n");
        Assert.Equal(2, await Invoke(refPath, curPath, "--tests", failing)); // bad YAML is a usage error
        Assert.Equal(2, await Invoke(refPath, Path.Combine(_dir, "missing.csv")));
        var headerOnly = Path.Combine(_dir, "header-only.csv");
        File.WriteAllText(headerOnly, "x,y,c,m\n");
        Assert.Equal(2, await Invoke(refPath, headerOnly));
    }

    static Task<int> Invoke(params string[] args) => Courseware.Cli.Commands.DriftCommand.Create().Parse(args).InvokeAsync();

    [Fact]
    public void ConceptDriftWithoutDataDrift()
    {
        // x is the same in every window; the label rule flips for x > 0.5 in the second window: P(Y|X) changes.
        var x = Samples.Draw(50, 400, "uniform");
        DataFrame Frame(Func<double, string> rule) => new(
            new DoubleDataFrameColumn("x", x.Select(v => (double?)v)),
            new StringDataFrameColumn("label", x.Select(rule)),
            new StringDataFrameColumn("predicted", x.Select(v => v > 0.3 ? "yes" : "no")));
        var reference = Frame(v => v > 0.3 ? "yes" : "no");
        var windows = new[]
        {
            new DataWindow("w1", null, null, Frame(v => v > 0.3 ? "yes" : "no")),
            new DataWindow("w2", null, null, Frame(v => v > 0.3 && v <= 0.5 ? "yes" : "no")),
        };
        var data = DriftReport.Compute(reference, windows[1].Data, new DriftOptions { Columns = ["x"] });
        Assert.False(data.DatasetDrift);
        var concept = ConceptDrift.Evaluate(reference, windows, target: "label", prediction: "predicted");
        Assert.Equal(QualityMetric.Accuracy, concept.Metric);
        Assert.Equal(1.0, concept.ReferenceQuality);
        Assert.False(concept.Windows[0].Drifted);
        double expected = x.Count(v => !(v > 0.5)) / 400.0; // wrong exactly where x > 0.5
        Assert.Equal(expected, concept.Windows[1].Quality, 12);
        Assert.True(concept.Windows[1].Drifted);
        Assert.Equal("w2", concept.FirstDrift!.Label);

        // Regression with a model delegate: MAE doubles → degradation 1.0.
        var reg = new DataFrame(new DoubleDataFrameColumn("y", new double?[] { 1, 2, 3, 4 }));
        var worse = new DataFrame(new DoubleDataFrameColumn("y", new double?[] { 1.5, 2.5, 3.5, 4.5 }));
        var mae = ConceptDrift.Evaluate(reg, [new DataWindow("later", null, null, worse)], "y",
            frame => Enumerable.Range(0, (int)frame.Rows.Count).Select(i => (object?)((double)frame.Columns["y"][i]! + (frame == reg ? 0.25 : 0.5))).ToList());
        Assert.Equal(QualityMetric.MeanAbsoluteError, mae.Metric);
        Assert.Equal(0.25, mae.ReferenceQuality, 12);
        Assert.Equal(1.0, mae.Windows[0].Degradation, 12);
        var e = Assert.Throws<ArgumentException>(() => ConceptDrift.Evaluate(reference, windows, "label", "pred"));
        Assert.Contains("prediction column 'pred' is not in the data", e.Message);
    }
}
