using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Courseware;

/// <summary>
/// Metrics written in Prometheus's text exposition format, version 0.0.4: gauges, counters, histograms and summaries,
/// one <c># HELP</c> and one <c># TYPE</c> line per metric, then its samples, label values escaped (<c>\\</c>, <c>\"</c>,
/// <c>\n</c>). Names are checked when a sample is added, a series (name plus labels) may be given only once and a
/// metric keeps one type, so the text is always something a Prometheus server accepts. Every exposition in the
/// library (drift gauges, serving traffic) is written through this class.
/// </summary>
/// <example><code>var m = new PrometheusMetrics(); m.Gauge("drift_psi", "PSI.", 0.12, ("feature", "temp_max")); m.ToString();</code></example>
public sealed partial class PrometheusMetrics
{
    /// <summary>The Content-Type of a response carrying this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly List<Family> _order = [];
    // Metric and sample names (a histogram x also writes x_bucket, x_sum, x_count) and the metric that owns each,
    // so that no two metrics write samples a scraper would read as one.
    private readonly Dictionary<string, string> _claimed = new(StringComparer.Ordinal);

    private sealed record Family(string Name, string Help, string Type)
    {
        public List<(string Suffix, string Labels, double Value)> Samples { get; } = [];
        public HashSet<string> Series { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Number of metrics (families) added so far.</summary>
    public int Count => _order.Count;

    /// <summary>
    /// Adds one sample of the gauge <paramref name="name"/>. The first sample of a name fixes its help text; label
    /// names must match <c>[a-zA-Z_][a-zA-Z0-9_]*</c> and not start with <c>__</c>; values may be any string.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid metric or label name, a label given twice, a series added twice, or a name already used by a metric of another type.</exception>
    public void Gauge(string name, string help, double value, params (string Name, string Value)[] labels) =>
        AddSingle(name, help, "gauge", value, labels);

    /// <summary>
    /// Adds one sample of the counter <paramref name="name"/> (conventionally ending in <c>_total</c>): a count that
    /// only goes up, so <paramref name="value"/> must be zero or more. Names and labels as for <see cref="Gauge"/>.
    /// </summary>
    /// <example><code>m.Counter("requests_total", "Requests by status.", 12, ("code", "200"));</code></example>
    /// <exception cref="ArgumentException">A negative or NaN value, or any of <see cref="Gauge"/>'s errors.</exception>
    public void Counter(string name, string help, double value, params (string Name, string Value)[] labels)
    {
        if (!(value >= 0)) throw new ArgumentException($"Counter {name}: expected a value of zero or more, got {FormatValue(value)}.", nameof(value));
        AddSingle(name, help, "counter", value, labels);
    }

    private void AddSingle(string name, string help, string type, double value, (string Name, string Value)[] labels)
    {
        var labelText = Labels(name, labels, null);
        Add(name, help, type, null, labelText, [("", labelText, value)]);
    }

    /// <summary>
    /// Adds one histogram series: <c>name_bucket{le="…"}</c> for each upper bound and for <c>+Inf</c>, then
    /// <c>name_sum</c> and <c>name_count</c>. <paramref name="buckets"/> holds finite upper bounds in increasing order,
    /// each with its cumulative count (observations less than or equal to the bound); the <c>+Inf</c> bucket is
    /// <paramref name="count"/>. Bounds are written as Prometheus writes them (<c>0.005</c>, <c>1</c>, <c>1e+06</c>).
    /// </summary>
    /// <example><code>m.Histogram("latency_seconds", "Time to answer.", [(0.1, 3), (1, 5)], count: 6, sum: 2.4);</code></example>
    /// <exception cref="ArgumentException">Bounds not finite and increasing, counts that decrease or exceed <paramref name="count"/>, a label named <c>le</c>, or any of <see cref="Gauge"/>'s errors.</exception>
    public void Histogram(string name, string help, IReadOnlyList<(double UpperBound, long Count)> buckets, long count, double sum,
        params (string Name, string Value)[] labels)
    {
        if (count < 0) throw new ArgumentException($"Histogram {name}: expected a count of zero or more, got {count}.", nameof(count));
        var labelText = Labels(name, labels, "le");
        var samples = new List<(string, string, double)>(buckets.Count + 3);
        for (var i = 0; i < buckets.Count; i++)
        {
            var (bound, n) = buckets[i];
            if (!double.IsFinite(bound) || (i > 0 && bound <= buckets[i - 1].UpperBound))
                throw new ArgumentException($"Histogram {name}: bucket {i} has upper bound {FormatValue(bound)}; expected finite bounds in increasing order (the +Inf bucket is written from the count).", nameof(buckets));
            if (n < (i > 0 ? buckets[i - 1].Count : 0) || n > count)
                throw new ArgumentException($"Histogram {name}: bucket le={FormatFloat(bound)} has count {n}; expected cumulative counts that never decrease, from 0 up to the total count {count}.", nameof(buckets));
            samples.Add(("_bucket", Join(labelText, "le", FormatFloat(bound)), n));
        }
        samples.Add(("_bucket", Join(labelText, "le", "+Inf"), count));
        samples.Add(("_sum", labelText, sum));
        samples.Add(("_count", labelText, count));
        Add(name, help, "histogram", ["_bucket", "_sum", "_count"], labelText, samples);
    }

    /// <summary>
    /// Adds one summary series as its quantile samples, <c>name{quantile="0.99"}</c> (format 0.0.4 makes a summary's
    /// <c>_sum</c> and <c>_count</c> optional). Quantiles lie in [0, 1] and are written as Prometheus writes them.
    /// </summary>
    /// <example><code>m.Summary("latency_ms", "Latency.", [(0.5, 12.5), (0.99, 40)], ("model", "models:/iris/3"));</code></example>
    /// <exception cref="ArgumentException">A quantile outside [0, 1] or given twice, a label named <c>quantile</c>, or any of <see cref="Gauge"/>'s errors.</exception>
    public void Summary(string name, string help, IReadOnlyList<(double Quantile, double Value)> quantiles, params (string Name, string Value)[] labels)
    {
        var labelText = Labels(name, labels, "quantile");
        var samples = new List<(string, string, double)>(quantiles.Count);
        foreach (var (q, value) in quantiles)
        {
            if (!(q is >= 0 and <= 1))
                throw new ArgumentException($"Summary {name}: quantile {FormatValue(q)} is not in [0, 1].", nameof(quantiles));
            var sampleLabels = Join(labelText, "quantile", FormatFloat(q));
            if (samples.Any(s => s.Item2 == sampleLabels))
                throw new ArgumentException($"Summary {name}: quantile {FormatFloat(q)} is given twice.", nameof(quantiles));
            samples.Add(("", sampleLabels, value));
        }
        Add(name, help, "summary", ["_sum", "_count"], labelText, samples);
    }

    private static string Labels(string name, (string Name, string Value)[] labels, string? reserved)
    {
        if (!MetricName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a Prometheus metric name: expected letters, digits, '_' or ':', not starting with a digit.", nameof(name));
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (labelName, labelValue) in labels)
        {
            if (!LabelName().IsMatch(labelName) || labelName.StartsWith("__", StringComparison.Ordinal))
                throw new ArgumentException($"'{labelName}' is not a Prometheus label name: expected letters, digits or '_', not starting with a digit or '__'.", nameof(labels));
            if (labelName == reserved) throw new ArgumentException($"Label '{reserved}' is written by the format itself for {name}; choose another name.", nameof(labels));
            if (!seen.Add(labelName)) throw new ArgumentException($"Label '{labelName}' is given twice for {name}.", nameof(labels));
            text.Append(text.Length == 0 ? "" : ",").Append(labelName).Append("=\"").Append(EscapeLabelValue(labelValue)).Append('"');
        }
        return text.ToString();
    }

    private static string Join(string labels, string name, string value) => (labels.Length == 0 ? "" : labels + ",") + name + "=\"" + value + "\"";

    // Checks everything before changing anything, so a refused series leaves the metrics as they were.
    private void Add(string name, string help, string type, string[]? suffixes, string labels, List<(string Suffix, string Labels, double Value)> samples)
    {
        if (_families.TryGetValue(name, out var family))
        {
            if (family.Type != type) throw new ArgumentException($"{name} is a {family.Type}; it cannot also be a {type}.", nameof(name));
        }
        else
        {
            foreach (var claimed in (suffixes ?? []).Select(s => name + s).Prepend(name))
                if (_claimed.TryGetValue(claimed, out var owner))
                    throw new ArgumentException($"{name}: the name {claimed} is already written by the metric {owner}.", nameof(name));
        }
        if (family?.Series.Contains(labels) == true)
            throw new ArgumentException($"The series {name}{{{labels}}} is given twice; each series may appear once.");
        if (family is null)
        {
            _families[name] = family = new Family(name, help, type);
            _order.Add(family);
            foreach (var claimed in (suffixes ?? []).Select(s => name + s).Prepend(name)) _claimed[claimed] = name;
        }
        family.Series.Add(labels);
        family.Samples.AddRange(samples);
    }

    /// <summary>The exposition text: for each metric its HELP and TYPE lines and its samples, each line ending in <c>\n</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var family in _order)
        {
            sb.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            sb.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            foreach (var (suffix, labels, value) in family.Samples)
                sb.Append(family.Name).Append(suffix).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(FormatValue(value)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A label value as the format writes it between double quotes: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabelValue(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>HELP text as the format writes it: backslash and line feed escaped (quotes stay as they are).</summary>
    public static string EscapeHelp(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    /// <summary>A sample value: shortest round-trip form, <c>NaN</c>, <c>+Inf</c> or <c>-Inf</c>.</summary>
    public static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A number in a label (<c>le</c>, <c>quantile</c>) as Prometheus's Go libraries write it, <c>strconv.FormatFloat(v, 'g', -1, 64)</c>:
    /// the shortest round-trip digits, in exponent form (<c>1e-05</c>, <c>2.5e+06</c>) when the exponent is below −4 or 6 and above.
    /// Label values are compared as strings, so bounds must be written the way other exporters write them.
    /// </summary>
    public static string FormatFloat(double value)
    {
        if (!double.IsFinite(value) || value == 0) return value == 0 ? (double.IsNegative(value) ? "-0" : "0") : FormatValue(value);
        // Shortest round-trip digits and the decimal point's position, from .NET's "E" form of the "R" digits.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E');
        var mantissa = e < 0 ? r : r[..e];
        var point = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "");
        var dp = (point < 0 ? mantissa.Length : point) + (e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture));
        var lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits[lead..].TrimEnd('0');
        dp -= lead;
        var exp = dp - 1;
        var sb = new StringBuilder(value < 0 ? "-" : "");
        if (exp < -4 || exp >= 6)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (dp <= 0) sb.Append("0.").Append('0', -dp).Append(digits);
        else if (dp >= digits.Length) sb.Append(digits).Append('0', dp - digits.Length);
        else sb.Append(digits, 0, dp).Append('.').Append(digits, dp, digits.Length - dp);
        return sb.ToString();
    }

    /// <summary>Whether <paramref name="name"/> is a valid metric name (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>).</summary>
    public static bool IsValidMetricName(string name) => MetricName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}
