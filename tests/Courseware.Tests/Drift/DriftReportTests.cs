using Courseware.Drift;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Drift;

/// <summary>Evidently's default test per column, overrides, dataset drift, and explicit handling of awkward data.</summary>
public class DriftReportTests
{
    static readonly string Repo = FindRepo();

    internal static string FindRepo()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Courseware.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("repository root not found");
        return dir;
    }

    internal static string Dataset(string name) => Path.Combine(Repo, "datasets", "vega", name);

    static DoubleDataFrameColumn Num(string name, IEnumerable<double?> values) => new(name, values);
    static DoubleDataFrameColumn Num(string name, IEnumerable<double> values) => new(name, values.Select(v => (double?)v));
    static StringDataFrameColumn Cat(string name, IEnumerable<string?> values) => new(name, values);

    static IEnumerable<double> Cycle(int n, params double[] values) => Enumerable.Range(0, n).Select(i => values[i % values.Length]);
    static IEnumerable<string> Cycle(int n, params string[] values) => Enumerable.Range(0, n).Select(i => values[i % values.Length]);

    /// <summary>Crafted columns and the test Evidently's registry.py _get_default_stattest picks for each.</summary>
    [Theory]
    [InlineData(1000, "many", "ks")]          // ≤ 1000 reference rows, numerical, > 5 values
    [InlineData(1001, "many", "wasserstein")] // > 1000
    [InlineData(1000, "five", "chisquare")]   // numerical, 5 values (≤ 5, > 2)
    [InlineData(1000, "two", "z")]            // numerical, 2 values
    [InlineData(1001, "five", "jensenshannon")]
    [InlineData(1001, "two", "jensenshannon")]
    [InlineData(1000, "six", "ks")]           // 6 values is "> 5"
    public void DefaultTestForNumericalColumns(int referenceRows, string values, string expected)
    {
        double[] pool = values switch
        {
            "many" => Enumerable.Range(0, 50).Select(i => i * 0.5).ToArray(),
            "six" => [1, 2, 3, 4, 5, 6],
            "five" => [1, 2, 3, 4, 5],
            _ => [0, 1],
        };
        var reference = new DataFrame(Num("x", Cycle(referenceRows, pool)));
        var current = new DataFrame(Num("x", Cycle(300, pool)));
        Assert.Equal(expected, DriftReport.Compute(reference, current)["x"].TestName);
    }

    [Theory]
    [InlineData(1000, 3, "chisquare")]
    [InlineData(1000, 2, "z")]
    [InlineData(1001, 3, "jensenshannon")]
    [InlineData(1001, 2, "jensenshannon")]
    [InlineData(50, 12, "chisquare")] // categorical never gets KS, however many values
    public void DefaultTestForCategoricalColumns(int referenceRows, int categories, string expected)
    {
        var labels = Enumerable.Range(0, categories).Select(i => $"c{i}").ToArray();
        var reference = new DataFrame(Cat("c", Cycle(referenceRows, labels)));
        var current = new DataFrame(Cat("c", Cycle(200, labels)));
        Assert.Equal(expected, DriftReport.Compute(reference, current)["c"].TestName);
    }

    [Fact]
    public void UniqueValuesCountBothSamplesAndRowsCountAfterDroppingMissing()
    {
        // Reference is binary, current brings a third value: 3 distinct values → chi-square, not Z.
        var reference = new DataFrame(Cat("c", Cycle(100, "a", "b")));
        var current = new DataFrame(Cat("c", Cycle(100, "a", "b", "c")));
        Assert.Equal("chisquare", DriftReport.Compute(reference, current)["c"].TestName);
        // 1005 reference rows of which 10 missing: 995 values ≤ 1000 → KS.
        var values = Enumerable.Range(0, 1005).Select(i => i < 10 ? (double?)null : i * 0.1);
        var r2 = new DataFrame(Num("x", values));
        var c2 = new DataFrame(Num("x", Enumerable.Range(0, 200).Select(i => i * 0.3)));
        var column = DriftReport.Compute(r2, c2)["x"];
        Assert.Equal("ks", column.TestName);
        Assert.Equal(10, column.Reference.Missing);
        Assert.Equal(10.0 / 1005, column.Reference.MissingShare, 12);
    }

    [Fact]
    public void OverridesOfTestAndThresholdPerColumnAndGlobally()
    {
        var (r, c) = Samples.Case("exact_medium");
        var reference = new DataFrame(Num("a", r), Num("b", r));
        var current = new DataFrame(Num("a", c), Num("b", c));
        var report = DriftReport.Compute(reference, current, new DriftOptions
        {
            Test = "psi",
            PerColumn = { ["b"] = new ColumnOptions(Test: "ks", Threshold: 0.01) },
        });
        Assert.Equal("psi", report["a"].TestName);
        DriftStatsTests.Close(DriftStatsTests.Scipy["exact_medium.psi"], report["a"].Result!.Statistic, 1e-9, "psi via report");
        Assert.Equal("ks", report["b"].TestName);
        Assert.Equal(0.01, report["b"].Result!.Threshold);
        DriftStatsTests.Close(DriftStatsTests.Scipy["exact_medium.ks.p"], report["b"].Result!.PValue!.Value, 1e-7, "ks via report");
        Assert.False(report["b"].Drifted); // p = 0.022 > 0.01
        var strict = DriftReport.Compute(reference, current, new DriftOptions { PerColumn = { ["a"] = new(Threshold: 0.05) } });
        Assert.True(strict["a"].Drifted); // KS p 0.022 ≤ 0.05 by default rule
    }

    [Fact]
    public void DatasetDriftIsShareOfDriftedColumnsAtLeastDriftShare()
    {
        var (r, c) = Samples.Case("asymp_smirnov");
        var same = Samples.Draw(11, 20000, "normal");
        // Columns a, b drift (shifted by 0.1σ... normed W1 0.17 ≥ 0.1), columns s, t do not (identical).
        var reference = new DataFrame(Num("a", r), Num("b", r), Num("s", r), Num("t", r));
        var current = new DataFrame(Num("a", c), Num("b", c), Num("s", same.Take(15000)), Num("t", same.Take(15000)));
        var report = DriftReport.Compute(reference, current);
        Assert.Equal(2, report.NumberOfDriftedColumns);
        Assert.Equal(0.5, report.ShareOfDriftedColumns);
        Assert.True(report.DatasetDrift); // 0.5 ≥ 0.5
        Assert.False(DriftReport.Compute(reference, current, new DriftOptions { DriftShare = 0.6 }).DatasetDrift);
        DriftStatsTests.Close(DriftStatsTests.Scipy["asymp_smirnov.wasserstein_norm"], report["a"].Result!.Statistic, 1e-9, "W normed");
    }

    [Fact]
    public void TargetAndPredictionDriftAreReportedAndCounted()
    {
        var reference = new DataFrame(Num("x", Cycle(200, 1, 2, 3, 4, 5, 6, 7)), Cat("label", Cycle(200, "no", "no", "yes")), Cat("pred", Cycle(200, "no", "yes")));
        var current = new DataFrame(Num("x", Cycle(200, 1, 2, 3, 4, 5, 6, 7)), Cat("label", Cycle(200, "yes", "yes", "no")), Cat("pred", Cycle(200, "no", "yes")));
        var report = DriftReport.Compute(reference, current, new DriftOptions { Target = "label", Prediction = "pred" });
        Assert.Equal("target", report.TargetDrift!.Role);
        Assert.True(report.TargetDrift.Drifted);   // label shift: P(yes) 1/3 → 2/3
        Assert.False(report.PredictionDrift!.Drifted);
        Assert.Equal(3, report.NumberOfColumns);
        Assert.Equal(1.0 / 3, report.ShareOfDriftedColumns, 12);
    }

    [Fact]
    public void MissingConstantAndMismatchedColumnsAreHandledOrRejectedByName()
    {
        var reference = new DataFrame(Num("x", Cycle(50, 1, 2, 3, 4, 5, 6, 7)), Num("empty", Cycle(50, 1.0)), Cat("k", Cycle(50, "same")));
        var current = new DataFrame(Num("x", Cycle(50, 1, 2, 3, 4, 5, 6, 7)), Num("empty", Enumerable.Repeat((double?)null, 50)), Cat("k", Cycle(50, "same")), Cat("extra", Cycle(50, "z")));
        var report = DriftReport.Compute(reference, current);
        Assert.Equal("all values are missing in the current data", report["empty"].Error);
        Assert.Null(report["empty"].Result);
        Assert.Contains(report.Warnings, w => w.Contains("'empty'"));
        Assert.Contains(report.Warnings, w => w.Contains("'extra'") && w.Contains("only in the current data"));
        Assert.Equal(2, report.NumberOfColumns); // the empty column is left out of the share
        var constant = report["k"];
        Assert.Equal("z", constant.TestName);
        Assert.Equal(1.0, constant.Result!.PValue);
        Assert.False(constant.Drifted);

        var missing = new DataFrame(Num("x", Cycle(50, 1.0, 2.0)));
        var e = Assert.Throws<ArgumentException>(() => DriftReport.Compute(reference, missing));
        Assert.Contains("'empty', 'k'", e.Message);
        Assert.Contains("missing from the current data", e.Message);

        var mismatched = new DataFrame(Cat("x", Cycle(50, "1", "2")));
        e = Assert.Throws<ArgumentException>(() => DriftReport.Compute(new DataFrame(Num("x", Cycle(50, 1.0, 2.0))), mismatched));
        Assert.Contains("Column 'x' is Numerical in the reference data but Categorical in the current data", e.Message);
        // ... unless the caller says how to read it.
        var asCategories = DriftReport.Compute(new DataFrame(Num("x", Cycle(50, 1.0, 2.0))), mismatched,
            new DriftOptions { PerColumn = { ["x"] = new(Type: ColumnType.Categorical) } });
        Assert.Equal(1.0, asCategories["x"].Result!.PValue);

        e = Assert.Throws<ArgumentException>(() => DriftReport.Compute(reference, new DataFrame(Num("x", Array.Empty<double>()))));
        Assert.Contains("current data has no rows", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftReport.Compute(reference, current, new DriftOptions { PerColumn = { ["k"] = new(Test: "ks") } }));
        Assert.Contains("Test 'ks' needs a numerical column, but 'k' is Categorical", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftReport.Compute(reference, current, new DriftOptions { Test = "kolmogorov" }));
        Assert.Contains("Unknown drift test 'kolmogorov'", e.Message);
    }

    [Fact]
    public async Task SeattleWeatherSeasonalDriftMatchesScipy()
    {
        var weather = await TableReader.ReadAsync(Dataset("seattle-weather.csv"));
        var dates = (PrimitiveDataFrameColumn<DateTime>)weather.Columns["date"];
        var reference = weather.Filter(Year(dates, 2012));
        var current = weather.Filter(Year(dates, 2015));
        var report = DriftReport.Compute(reference, current);
        Assert.Equal(["precipitation", "temp_max", "temp_min", "wind", "weather"], report.Columns.Select(c => c.Name));
        foreach (var col in new[] { "precipitation", "temp_max", "temp_min", "wind" })
        {
            Assert.Equal("ks", report[col].TestName);
            DriftStatsTests.Close(DriftStatsTests.Scipy[$"seattle.{col}.ks.p"], report[col].Result!.PValue!.Value, 1e-7, col);
        }
        Assert.Equal("chisquare", report["weather"].TestName);
        DriftStatsTests.Close(DriftStatsTests.Scipy["seattle.weather.chisq.p"], report["weather"].Result!.PValue!.Value, 1e-6, "weather");
        Assert.Equal(3, report.NumberOfDriftedColumns); // temp_max, temp_min, weather
        Assert.True(report.DatasetDrift);
    }

    static PrimitiveDataFrameColumn<bool> Year(PrimitiveDataFrameColumn<DateTime> dates, int year) =>
        new("mask", dates.Select(d => (bool?)(d?.Year == year)));

    [Fact]
    public async Task FlightsFirstAndSecondHalfMatchScipy()
    {
        var flights = await TableReader.ReadAsync(Dataset("flights-20k.json"));
        var reference = flights[Enumerable.Range(0, 10000).Select(i => (long)i)];
        var current = flights[Enumerable.Range(10000, (int)flights.Rows.Count - 10000).Select(i => (long)i)];
        var report = DriftReport.Compute(reference, current);
        Assert.Equal("wasserstein", report["delay"].TestName);
        DriftStatsTests.Close(DriftStatsTests.Scipy["flights.delay.wasserstein"], report["delay"].Result!.Statistic, 1e-9, "delay");
        DriftStatsTests.Close(DriftStatsTests.Scipy["flights.distance.wasserstein"], report["distance"].Result!.Statistic, 1e-9, "distance");
        Assert.Equal("jensenshannon", report["origin"].TestName);
        DriftStatsTests.Close(DriftStatsTests.Scipy["flights.origin.js"], report["origin"].Result!.Statistic, 1e-9, "origin");
        Assert.DoesNotContain(report.Columns, c => c.Name == "date"); // timestamps are not tested
    }

    [Fact]
    public void JsonHasTheSameNumbers()
    {
        var (r, c) = Samples.Case("exact_unequal_n");
        var report = DriftReport.Compute(new DataFrame(Num("x", r)), new DataFrame(Num("x", c)));
        using var doc = System.Text.Json.JsonDocument.Parse(report.ToJson());
        var col = doc.RootElement.GetProperty("columns")[0];
        Assert.Equal("ks", col.GetProperty("test").GetString());
        Assert.Equal(DriftStatsTests.Scipy["exact_unequal_n.ks.p"], col.GetProperty("p_value").GetDouble(), 9);
        Assert.True(col.GetProperty("drifted").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("dataset_drift").GetBoolean());
        Assert.Equal(45, col.GetProperty("current").GetProperty("count").GetInt64());
    }
}
