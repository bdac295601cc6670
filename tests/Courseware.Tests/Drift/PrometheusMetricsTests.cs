namespace Courseware.Tests.Drift;

/// <summary>
/// The exposition writer against the text format 0.0.4 specification: exact bytes for escapes (closed forms from the
/// spec's rules), a strict independent parser reading everything back, and the names and duplicates Prometheus rejects.
/// Counters, histograms and summaries follow the same rules (the spec's "Histograms and summaries" section: cumulative
/// _bucket samples with an le label ending in +Inf, then _sum and _count).
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

    [Fact]
    public void Counters_and_histograms_are_written_exactly()
    {
        var m = new PrometheusMetrics();
        m.Counter("http_requests_total", "Requests.", 3, ("code", "200"));
        m.Histogram("latency_seconds", "Latency.", [(0.0005, 1), (1, 2), (1e6, 3)], count: 4, sum: 7.25, ("path", "/p\"q"));
        m.Histogram("latency_seconds", "Latency.", [(0.0005, 0), (1, 0), (1e6, 0)], count: 0, sum: 0, ("path", "/r"));
        m.Counter("http_requests_total", "Requests.", 0, ("code", "500"));
        var text = m.ToString();
        Assert.Equal(
            "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n" +
            "http_requests_total{code=\"200\"} 3\nhttp_requests_total{code=\"500\"} 0\n" +
            "# HELP latency_seconds Latency.\n# TYPE latency_seconds histogram\n" +
            "latency_seconds_bucket{path=\"/p\\\"q\",le=\"0.0005\"} 1\n" +
            "latency_seconds_bucket{path=\"/p\\\"q\",le=\"1\"} 2\n" +
            "latency_seconds_bucket{path=\"/p\\\"q\",le=\"1e+06\"} 3\n" +
            "latency_seconds_bucket{path=\"/p\\\"q\",le=\"+Inf\"} 4\n" +
            "latency_seconds_sum{path=\"/p\\\"q\"} 7.25\n" +
            "latency_seconds_count{path=\"/p\\\"q\"} 4\n" +
            "latency_seconds_bucket{path=\"/r\",le=\"0.0005\"} 0\n" +
            "latency_seconds_bucket{path=\"/r\",le=\"1\"} 0\n" +
            "latency_seconds_bucket{path=\"/r\",le=\"1e+06\"} 0\n" +
            "latency_seconds_bucket{path=\"/r\",le=\"+Inf\"} 0\n" +
            "latency_seconds_sum{path=\"/r\"} 0\n" +
            "latency_seconds_count{path=\"/r\"} 0\n", text);

        var families = PrometheusTextParser.Parse(text);
        Assert.Equal(["http_requests_total", "latency_seconds"], families.Keys.Order());
        var histogram = families["latency_seconds"];
        Assert.Equal(("histogram", 12), (histogram.Type, histogram.Samples.Count));
        Assert.Equal(4, histogram.Single(("path", "/p\"q"), ("le", "+Inf")).Value);
        Assert.Equal(7.25, histogram.Samples.Single(s => s.Metric == "latency_seconds_sum" && s.Labels["path"] == "/p\"q").Value);
    }

    [Fact]
    public void Summaries_are_written_as_quantile_samples()
    {
        var m = new PrometheusMetrics();
        m.Summary("latency_ms", "Latency.", [(0.5, 12.5), (0.99, double.NaN)], ("model", "models:/a/1"));
        var text = m.ToString();
        Assert.Equal("# HELP latency_ms Latency.\n# TYPE latency_ms summary\n" +
            "latency_ms{model=\"models:/a/1\",quantile=\"0.5\"} 12.5\nlatency_ms{model=\"models:/a/1\",quantile=\"0.99\"} NaN\n", text);
        Assert.Equal(12.5, PrometheusTextParser.Parse(text)["latency_ms"].Single(("quantile", "0.5")).Value);
    }

    // Go's strconv.FormatFloat(v, 'g', -1, 64), which Prometheus's client libraries and expfmt use for le and quantile:
    // shortest round-trip digits; exponent form (two-digit minimum, explicit sign) when the exponent is < -4 or >= 6.
    [Theory]
    [InlineData(0.0005, "0.0005")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(-0.00012345, "-0.00012345")]
    [InlineData(0.1, "0.1")]
    [InlineData(1, "1")]
    [InlineData(2.5, "2.5")]
    [InlineData(100, "100")]
    [InlineData(999999, "999999")]
    [InlineData(123456.7, "123456.7")]
    [InlineData(1e6, "1e+06")]
    [InlineData(1234567, "1.234567e+06")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e100, "1e+100")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(0, "0")]
    public void Bucket_bounds_are_written_as_Prometheus_writes_them(double bound, string expected)
    {
        Assert.Equal(expected, PrometheusMetrics.FormatFloat(bound));
        Assert.Equal(bound, double.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Bad_counters_histograms_and_summaries_are_refused_and_leave_the_metrics_unchanged()
    {
        var m = new PrometheusMetrics();
        m.Histogram("h", "H.", [(1, 1)], 1, 0.5);
        m.Gauge("g_sum", "G.", 1);
        var before = m.ToString();
        void Refused(Action add, string message) => Assert.Contains(message, Assert.Throws<ArgumentException>(add).Message);

        Refused(() => m.Counter("c_total", "C.", -1), "Counter c_total: expected a value of zero or more, got -1");
        Refused(() => m.Counter("c_total", "C.", double.NaN), "got NaN");
        Refused(() => m.Histogram("x", "X.", [(1, 1), (1, 1)], 1, 0), "bucket 1 has upper bound 1; expected finite bounds in increasing order");
        Refused(() => m.Histogram("x", "X.", [(double.PositiveInfinity, 1)], 1, 0), "bucket 0 has upper bound +Inf");
        Refused(() => m.Histogram("x", "X.", [(double.NaN, 1)], 1, 0), "bucket 0 has upper bound NaN");
        Refused(() => m.Histogram("x", "X.", [(1, 2), (2, 1)], 2, 0), "bucket le=2 has count 1; expected cumulative counts that never decrease");
        Refused(() => m.Histogram("x", "X.", [(1, 3)], 2, 0), "bucket le=1 has count 3");
        Refused(() => m.Histogram("x", "X.", [], -1, 0), "expected a count of zero or more, got -1");
        Refused(() => m.Histogram("x", "X.", [], 0, 0, ("le", "1")), "Label 'le' is written by the format itself for x");
        Refused(() => m.Summary("s", "S.", [(0.5, 1)], ("quantile", "1")), "Label 'quantile' is written by the format itself for s");
        Refused(() => m.Summary("s", "S.", [(1.5, 1)]), "Summary s: quantile 1.5 is not in [0, 1]");
        Refused(() => m.Summary("s", "S.", [(0.5, 1), (0.5, 2)]), "Summary s: quantile 0.5 is given twice");
        Refused(() => m.Counter("h", "H.", 1, ("a", "b")), "h is a histogram; it cannot also be a counter");
        Refused(() => m.Histogram("h", "H.", [(1, 1)], 1, 0.5), "The series h{} is given twice");
        Refused(() => m.Gauge("h_count", "X.", 1), "h_count: the name h_count is already written by the metric h");
        Refused(() => m.Summary("g", "S.", [(0.5, 1)]), "g: the name g_sum is already written by the metric g_sum");
        Refused(() => m.Gauge("bad name", "X.", 1), "'bad name' is not a Prometheus metric name");
        Assert.Equal(before, m.ToString());
        Assert.Equal(2, m.Count);
    }

    [Theory]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no +Inf bucket")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "differs from the +Inf bucket")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "with a count at least as large")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "does not follow")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no h_sum")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "no h_count")]
    [InlineData("# TYPE h histogram\nh_bucket 1\n", "must have an 'le' label")]
    [InlineData("# TYPE h histogram\nh 1\n", "has a sample without _bucket")]
    [InlineData("# TYPE s summary\ns 1\n", "must have a 'quantile' label")]
    [InlineData("# TYPE s summary\ns{quantile=\"2\"} 1\n", "is not in [0, 1]")]
    public void The_parser_refuses_malformed_histograms_and_summaries(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => PrometheusTextParser.Parse(text)).Message);
}
