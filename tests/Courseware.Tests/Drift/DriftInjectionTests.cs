using Courseware.Drift;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Drift;

public class DriftInjectionTests
{
    static DataFrame Frame()
    {
        var x = Samples.Draw(60, 2000, "normal");
        return new DataFrame(
            new DoubleDataFrameColumn("x", x.Select(v => (double?)v)),
            new StringDataFrameColumn("c", Enumerable.Range(0, 2000).Select(i => i % 2 == 0 ? "a" : "b")));
    }

    [Fact]
    public void ShiftMovesWassersteinByExactlyTheShift()
    {
        var data = Frame();
        var shifted = DriftInjection.Shift(data, "x", 0.25);
        var x = ((DoubleDataFrameColumn)data.Columns["x"]).Select(v => v!.Value).ToArray();
        var y = ((DoubleDataFrameColumn)shifted.Columns["x"]).Select(v => v!.Value).ToArray();
        Assert.Equal(0.25, DriftStats.Wasserstein(x, y).Statistic, 9); // W1 of a pure shift is the shift
        Assert.Equal(x[0], data.Columns["x"][0]); // the input is not modified
        // Sensitivity: the default test (normed Wasserstein, 2000 rows) flags a 0.25 shift but not a 0.01 shift.
        Assert.True(DriftReport.Compute(data, shifted)["x"].Drifted);
        Assert.False(DriftReport.Compute(data, DriftInjection.Shift(data, "x", 0.01))["x"].Drifted);
    }

    [Fact]
    public void ScaleKeepsTheMeanAndScalesTheSpread()
    {
        var data = Frame();
        var scaled = DriftInjection.Scale(data, "x", 2);
        var report = DriftReport.Compute(data, scaled, new DriftOptions { Columns = ["x"] });
        Assert.Equal(report["x"].Reference.Mean!.Value, report["x"].Current.Mean!.Value, 12);
        Assert.Equal(2 * report["x"].Reference.Std!.Value, report["x"].Current.Std!.Value, 12);
    }

    [Fact]
    public void MissingValuesAndReplacedCategories()
    {
        var data = Frame();
        var holes = DriftInjection.AddMissing(data, "x", 0.1, seed: 3);
        Assert.Equal(200, holes.Columns["x"].NullCount);
        Assert.Equal(holes.Columns["x"].NullCount, DriftInjection.AddMissing(data, "x", 0.1, seed: 3).Columns["x"].NullCount);
        var suite = new TestSuite([SuiteTest.ShareOfMissingValues("x", new Condition(Lt: 0.05))]).Run(data, holes);
        Assert.Equal(TestStatus.Fail, suite.Results[0].Status);
        var relabelled = DriftInjection.Replace(data, "c", 0.3, "new");
        Assert.Equal(600, ((StringDataFrameColumn)relabelled.Columns["c"]).Count(v => v == "new"));
        Assert.True(DriftReport.Compute(data, relabelled)["c"].Drifted);
        var e = Assert.Throws<ArgumentException>(() => DriftInjection.Shift(data, "c", 1));
        Assert.Contains("Column 'c' holds String values", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DriftInjection.AddMissing(data, "x", 1.5));
        e = Assert.Throws<ArgumentException>(() => DriftInjection.Replace(data, "zz", 0.1, "q"));
        Assert.Contains("no column 'zz'", e.Message);
    }
}
