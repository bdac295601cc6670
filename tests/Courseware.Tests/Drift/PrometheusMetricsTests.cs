using Courseware.Drift;

namespace Courseware.Tests.Drift;

/// <summary>
/// The exposition writer against the text format 0.0.4 specification: exact bytes for escapes (closed forms from the
/// spec's rules), a strict independent parser reading everything back, and the names and duplicates Prometheus rejects.
/// </summary>
public class PrometheusMetricsTests
{
    [Fact]
    public void LabelValuesEscapeBackslashQuoteAndNewlineExactly()
    {
        var metrics = new PrometheusMetrics();
        metrics.Gauge("t_value", "Help with a \\ backslash,\na newline and \"quotes\".", 1, ("v", "a\"b"), ("w", "c\\d"), ("x", "line1\nline2"));
        metrics.Gauge("t_value", "ignored: the first help wins", 2, ("v", "\\n"), ("w", ""), ("x", "rows 0–99 ✓"));
        var text = metrics.ToString();
        // Spec: label values escape \ as \\, " as \" and line feed as \n; HELP escapes \ and line feed only.
        Assert.Equal(
            "# HELP t_value Help with a \\\\ backslash,\\na newline and \"quotes\".\n" +
            "# TYPE t_value gauge\n" +
            "t_value{v=\"a\\\"b\",w=\"c\\\\d\",x=\"line1\\nline2\"} 1\n" +
            "t_value{v=\"\\\\n\",w=\"\",x=\"rows 0–99 ✓\"} 2\n", text);

        var family = PrometheusTextParser.Parse(text)["t_value"];
        Assert.Equal(("gauge", "Help with a \\ backslash,\na newline and \"quotes\"."), (family.Type, family.Help));
        Assert.Equal(1, family.Single(("v", "a\"b"), ("w", "c\\d"), ("x", "line1\nline2")).Value);
        Assert.Equal(2, family.Single(("v", "\\n"), ("w", ""), ("x", "rows 0–99 ✓")).Value);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5e-300, "-2.5E-300")]
    [InlineData(1234567890123.0, "1234567890123")]
    public void ValuesAreGoFloatsThatRoundTrip(double value, string expected)
    {
        Assert.Equal(expected, PrometheusMetrics.FormatValue(value));
        var m = new PrometheusMetrics();
        m.Gauge("v", "value", value);
        var parsed = PrometheusTextParser.Parse(m.ToString())["v"].Samples.Single().Value;
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed));
    }

    [Fact]
    public void FamiliesStayContiguousWhenSamplesInterleave()
    {
        var m = new PrometheusMetrics();
        m.Gauge("a", "A.", 1, ("monitor", "one"));
        m.Gauge("b", "B.", 2, ("monitor", "one"));
        m.Gauge("a", "A.", 3, ("monitor", "two"));
        var text = m.ToString();
        Assert.Equal("# HELP a A.\n# TYPE a gauge\na{monitor=\"one\"} 1\na{monitor=\"two\"} 3\n# HELP b B.\n# TYPE b gauge\nb{monitor=\"one\"} 2\n", text);
        Assert.Equal(2, PrometheusTextParser.Parse(text)["a"].Samples.Count);
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("drift-psi")]
    [InlineData("")]
    [InlineData("psi value")]
    public void BadMetricNamesAreRefused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new PrometheusMetrics().Gauge(name, "h", 1));
        Assert.Contains($"'{name}' is not a Prometheus metric name", e.Message);
    }

    [Theory]
    [InlineData("feature-name")]
    [InlineData("__reserved")]
    [InlineData("1x")]
    [InlineData("le:x")]
    public void BadLabelNamesAreRefused(string label)
    {
        var e = Assert.Throws<ArgumentException>(() => new PrometheusMetrics().Gauge("m", "h", 1, (label, "v")));
        Assert.Contains($"'{label}' is not a Prometheus label name", e.Message);
    }

    [Fact]
    public void A_series_or_a_label_given_twice_is_refused()
    {
        var m = new PrometheusMetrics();
        m.Gauge("m", "h", 1, ("a", "x"), ("b", "y"));
        var twice = Assert.Throws<ArgumentException>(() => m.Gauge("m", "h", 2, ("a", "x"), ("b", "y")));
        Assert.Contains("m{a=\"x\",b=\"y\"} is given twice", twice.Message);
        var label = Assert.Throws<ArgumentException>(() => m.Gauge("m", "h", 2, ("a", "x"), ("a", "z")));
        Assert.Contains("Label 'a' is given twice", label.Message);
        // The parser is strict too: it is the check the other tests rely on.
        Assert.Throws<FormatException>(() => PrometheusTextParser.Parse("m 1\nm 2\n"));
        Assert.Throws<FormatException>(() => PrometheusTextParser.Parse("m{a=\"x\\t\"} 1\n"));
        Assert.Throws<FormatException>(() => PrometheusTextParser.Parse("a 1\nb 1\na{x=\"1\"} 1\n"));
        Assert.Throws<FormatException>(() => PrometheusTextParser.Parse("m 1\n# TYPE m gauge\n"));
        Assert.Throws<FormatException>(() => PrometheusTextParser.Parse("m 1"));
    }
}
