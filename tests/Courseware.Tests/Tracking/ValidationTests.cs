using Courseware.Tracking;

namespace Courseware.Tests.Tracking;

public class ValidationTests
{
    // Expected normpath/validity from Python's posixpath + re, as MLflow computes them:
    // reference/mlflow_semantics.py (output in reference/mlflow_semantics.out).
    [Theory]
    [InlineData("acc", "acc", true)]
    [InlineData("val/acc", "val/acc", true)]
    [InlineData("a..b", "a..b", true)]
    [InlineData("a b", "a b", true)]
    [InlineData("time:ms", "time:ms", true)]
    [InlineData("été", "été", true)]
    [InlineData("", ".", false)]
    [InlineData("a//b", "a/b", false)]
    [InlineData("a/", "a", false)]
    [InlineData("./a", "a", false)]
    [InlineData("a/../b", "b", false)]
    [InlineData("/a", "/a", false)]
    [InlineData("..", "..", false)]
    [InlineData("../a", "../a", false)]
    [InlineData("a/./b", "a/b", false)]
    [InlineData("a$b", "a$b", false)]
    [InlineData("a\\b", "a\\b", false)]
    [InlineData("//a", "//a", false)]
    public void Keys_follow_mlflow_rules(string key, string normpath, bool valid)
    {
        Assert.Equal(normpath, TrackingValidation.PosixNormPath(key));
        var error = Record.Exception(() => TrackingValidation.ValidateKey(key, "metric"));
        if (valid) Assert.Null(error);
        else
        {
            var e = Assert.IsType<TrackingException>(error);
            Assert.Equal("INVALID_PARAMETER_VALUE", e.ErrorCode);
            Assert.Equal("metric key", e.Field);
            Assert.Contains($"'{key}'", e.Message);
        }
    }

    [Fact]
    public void Key_length_limit_is_250()
    {
        TrackingValidation.ValidateKey(new string('x', 250), "param");
        var e = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateKey(new string('x', 251), "param"));
        Assert.Contains("251", e.Message);
        Assert.Contains("250", e.Message);
    }

    [Fact]
    public void Long_values_are_rejected_not_truncated()
    {
        TrackingValidation.ValidateParam(new Param("p", new string('v', 6000)));
        var e = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateParam(new Param("p", new string('v', 6001))));
        Assert.Equal("params[p]", e.Field);
        Assert.Contains("6001", e.Message);
        TrackingValidation.ValidateTag(new RunTag("t", new string('v', 8000)));
        Assert.Throws<TrackingException>(() => TrackingValidation.ValidateTag(new RunTag("t", new string('v', 8001))));
        Assert.Throws<TrackingException>(() => TrackingValidation.ValidateExperimentTag(new ExperimentTag("t", new string('v', 5001))));
    }

    [Fact]
    public void Infinities_clamp_to_max_double_and_nan_is_kept()
    {
        Assert.Equal(1.7976931348623157e308, TrackingValidation.ValidateMetric(new Metric("m", double.PositiveInfinity, 0)).Value);
        Assert.Equal(-1.7976931348623157e308, TrackingValidation.ValidateMetric(new Metric("m", double.NegativeInfinity, 0)).Value);
        Assert.True(double.IsNaN(TrackingValidation.ValidateMetric(new Metric("m", double.NaN, 0)).Value));
        var e = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateMetric(new Metric("m", 1, -5)));
        Assert.Equal("metrics[m].timestamp", e.Field);
    }

    [Fact]
    public void Batch_limits_match_mlflow()
    {
        var metrics = Enumerable.Range(0, 1001).Select(i => new Metric("m", i, 0, i)).ToList();
        var e = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateBatch(metrics, [], []));
        Assert.Contains("at most 1000 metrics", e.Message);
        var @params = Enumerable.Range(0, 101).Select(i => new Param("p" + i, "v")).ToList();
        Assert.Contains("at most 100 params", Assert.Throws<TrackingException>(() => TrackingValidation.ValidateBatch([], @params, [])).Message);
        var total = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateBatch(metrics.Take(950).ToList(), @params.Take(60).ToList(), []));
        Assert.Contains("at most 1000 metrics, params, and tags", total.Message);
        var dup = Assert.Throws<TrackingException>(() => TrackingValidation.ValidateBatch([], [new Param("lr", "1"), new Param("lr", "2")], []));
        Assert.Equal("params[lr]", dup.Field);
    }

    [Fact]
    public void Latest_metric_order_is_step_then_timestamp_then_value()
    {
        // reference/mlflow_semantics.py: max([(0,100,0.5),(2,50,0.1),(2,50,0.3),(1,999,0.9),(2,40,5.0)]) == (2, 50, 0.3)
        var points = new[] { new Metric("m", 0.5, 100, 0), new Metric("m", 0.1, 50, 2), new Metric("m", 0.3, 50, 2), new Metric("m", 0.9, 999, 1), new Metric("m", 5.0, 40, 2) };
        var latest = points.Aggregate((a, b) => Metric.CompareLatest(a, b) >= 0 ? a : b);
        Assert.Equal((2L, 50L, 0.3), (latest.Step, latest.Timestamp, latest.Value));
    }

    [Fact]
    public void Error_codes_map_to_mlflow_http_statuses()
    {
        Assert.Equal(400, new TrackingException(TrackingErrorCode.InvalidParameterValue, "x").HttpStatus);
        Assert.Equal(404, new TrackingException(TrackingErrorCode.ResourceDoesNotExist, "x").HttpStatus);
        Assert.Equal(400, new TrackingException(TrackingErrorCode.ResourceAlreadyExists, "x").HttpStatus);
        Assert.Equal(500, new TrackingException(TrackingErrorCode.InvalidState, "x").HttpStatus);
        Assert.Equal("RESOURCE_ALREADY_EXISTS", new TrackingException(TrackingErrorCode.ResourceAlreadyExists, "x").ErrorCode);
    }

    [Fact]
    public void Run_status_parses_wire_names_only()
    {
        Assert.Equal(RunStatus.Killed, TrackingNames.ParseRunStatus("KILLED"));
        Assert.Equal("FINISHED", RunStatus.Finished.ToWire());
        Assert.Equal("status", Assert.Throws<TrackingException>(() => TrackingNames.ParseRunStatus("DONE")).Field);
        Assert.Throws<TrackingException>(() => TrackingNames.ParseRunStatus("2"));
    }
}
