using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Courseware.Drift;

/// <summary>
/// A set of gauges written in Prometheus's text exposition format, version 0.0.4: one <c># HELP</c> and one
/// <c># TYPE</c> line per metric, then its samples, label values escaped (<c>\\</c>, <c>\"</c>, <c>\n</c>).
/// Names are checked when a sample is added, and a series (name plus labels) may be given only once, so the
/// text is always something a Prometheus server accepts.
/// </summary>
/// <example><code>var m = new PrometheusMetrics(); m.Gauge("drift_psi", "PSI.", 0.12, ("feature", "temp_max")); m.ToString();</code></example>
public sealed partial class PrometheusMetrics
{
    /// <summary>The Content-Type of a response carrying this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly List<Family> _order = [];

    private sealed record Family(string Name, string Help)
    {
        public List<(string Labels, double Value)> Samples { get; } = [];
        public HashSet<string> Series { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Number of metrics (families) added so far.</summary>
    public int Count => _order.Count;

    /// <summary>
    /// Adds one sample of the gauge <paramref name="name"/>. The first sample of a name fixes its help text; label
    /// names must match <c>[a-zA-Z_][a-zA-Z0-9_]*</c> and not start with <c>__</c>; values may be any string.
    /// </summary>
    /// <exception cref="ArgumentException">An invalid metric or label name, a label given twice, or a series added twice.</exception>
    public void Gauge(string name, string help, double value, params (string Name, string Value)[] labels)
    {
        if (!MetricName().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a Prometheus metric name: expected letters, digits, '_' or ':', not starting with a digit.", nameof(name));
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (labelName, labelValue) in labels)
        {
            if (!LabelName().IsMatch(labelName) || labelName.StartsWith("__", StringComparison.Ordinal))
                throw new ArgumentException($"'{labelName}' is not a Prometheus label name: expected letters, digits or '_', not starting with a digit or '__'.", nameof(labels));
            if (!seen.Add(labelName)) throw new ArgumentException($"Label '{labelName}' is given twice for {name}.", nameof(labels));
            text.Append(text.Length == 0 ? "" : ",").Append(labelName).Append("=\"").Append(EscapeLabelValue(labelValue)).Append('"');
        }
        AddSample(name, help, text.ToString(), value);
    }

    private void AddSample(string name, string help, string labels, double value)
    {
        if (!_families.TryGetValue(name, out var family))
        {
            _families[name] = family = new Family(name, help);
            _order.Add(family);
        }
        if (!family.Series.Add(labels))
            throw new ArgumentException($"The series {name}{{{labels}}} is given twice; each series may appear once.");
        family.Samples.Add((labels, value));
    }

    /// <summary>The exposition text: for each metric its HELP and TYPE lines and its samples, each line ending in <c>\n</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var family in _order)
        {
            sb.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            sb.Append("# TYPE ").Append(family.Name).Append(" gauge\n");
            foreach (var (labels, value) in family.Samples)
                sb.Append(family.Name).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(FormatValue(value)).Append('\n');
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

    /// <summary>Whether <paramref name="name"/> is a valid metric name (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>).</summary>
    public static bool IsValidMetricName(string name) => MetricName().IsMatch(name);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}
