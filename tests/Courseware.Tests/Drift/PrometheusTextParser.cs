using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Courseware.Tests.Drift;

/// <summary>One sample of a parsed exposition: its labels (unescaped), value and sample name (<c>x_bucket</c>, <c>x_sum</c>, <c>x_count</c> in histogram x).</summary>
internal sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value, string Metric = "");

/// <summary>One metric family of a parsed exposition.</summary>
internal sealed record PromFamily(string Name, string? Help, string? Type, List<PromSample> Samples)
{
    /// <summary>The single sample whose labels include all of <paramref name="labels"/>.</summary>
    public PromSample Single(params (string Name, string Value)[] labels) =>
        Samples.Single(s => labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));
}

/// <summary>
/// A strict reader of Prometheus's text exposition format 0.0.4, written from the format's specification
/// (prometheus.io/docs/instrumenting/exposition_formats, "Text format details") independently of the library's
/// writer: every line ends in '\n'; '# HELP name docstring' (escapes \\ and \n) and '# TYPE name type' at most once
/// per family and before its samples; a family's samples are contiguous; metric names [a-zA-Z_:][a-zA-Z0-9_:]*,
/// label names [a-zA-Z_][a-zA-Z0-9_]*; label values in double quotes with only \\, \" and \n escapes; values are Go
/// floats (NaN, +Inf, -Inf); an optional integer timestamp; no series twice. After '# TYPE x histogram' the samples
/// x_bucket (with an 'le' label), x_sum and x_count belong to family x, and each series (labels other than 'le') has
/// buckets in increasing 'le' order with counts that never decrease, a '+Inf' bucket equal to x_count, and x_sum;
/// after '# TYPE x summary' the samples x (with a 'quantile' label in [0, 1]), x_sum and x_count belong to x.
/// Anything else throws FormatException.
/// </summary>
internal static class PrometheusTextParser
{
    private static readonly Regex MetricName = new("^[a-zA-Z_:][a-zA-Z0-9_:]*$");
    private static readonly Regex LabelName = new("^[a-zA-Z_][a-zA-Z0-9_]*$");
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static Dictionary<string, PromFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("The last line does not end in a line feed.");
        var families = new Dictionary<string, PromFamily>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1}";
            if (line.Contains('\r')) throw new FormatException($"{where}: carriage return.");
            if (line.Trim().Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE")) continue; // a comment
                var name = parts[2];
                if (!MetricName.IsMatch(name)) throw new FormatException($"{where}: bad metric name '{name}'.");
                var family = Enter(name, where);
                if (family.Samples.Count > 0) throw new FormatException($"{where}: {parts[1]} after samples of {name}.");
                if (parts[1] == "HELP")
                {
                    if (family.Help is not null) throw new FormatException($"{where}: second HELP for {name}.");
                    families[name] = family = family with { Help = UnescapeHelp(parts.Length > 3 ? parts[3] : "", where) };
                }
                else
                {
                    if (family.Type is not null) throw new FormatException($"{where}: second TYPE for {name}.");
                    if (parts.Length < 4 || !Types.Contains(parts[3])) throw new FormatException($"{where}: bad type for {name}.");
                    families[name] = family with { Type = parts[3] };
                }
                continue;
            }
            var (metric, labels, value) = ParseSample(line, where);
            var f = Enter(FamilyOf(metric, labels, where), where);
            if (!series.Add(metric + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}"))
                throw new FormatException($"{where}: series {metric} repeated.");
            f.Samples.Add(new PromSample(labels, value, metric));
        }
        foreach (var family in families.Values.Where(f => f.Type == "histogram")) CheckHistogram(family);
        return families;

        // A histogram's or summary's sample names belong to the family declared by its TYPE line.
        string FamilyOf(string metric, Dictionary<string, string> labels, string where)
        {
            var type = current is not null && families.TryGetValue(current, out var open) ? open.Type : null;
            var suffix = current is not null && metric.StartsWith(current, StringComparison.Ordinal) ? metric[current.Length..] : null;
            if (type == "histogram" && suffix == "") throw new FormatException($"{where}: histogram {metric} has a sample without _bucket, _sum or _count.");
            if (type == "histogram" && suffix is "_bucket" or "_sum" or "_count")
            {
                if ((suffix == "_bucket") != labels.ContainsKey("le")) throw new FormatException($"{where}: {metric} must {(suffix == "_bucket" ? "" : "not ")}have an 'le' label.");
                return current!;
            }
            if (type == "summary" && suffix is "" or "_sum" or "_count")
            {
                if ((suffix == "") != labels.ContainsKey("quantile")) throw new FormatException($"{where}: {metric} must {(suffix == "" ? "" : "not ")}have a 'quantile' label.");
                if (suffix == "" && !(ParseValue(labels["quantile"], where) is >= 0 and <= 1)) throw new FormatException($"{where}: quantile '{labels["quantile"]}' is not in [0, 1].");
                return current!;
            }
            return metric;
        }

        PromFamily Enter(string name, string where)
        {
            if (current != name)
            {
                if (current is not null) closed.Add(current);
                if (closed.Contains(name)) throw new FormatException($"{where}: {name} appears again after another metric (families must be contiguous).");
                current = name;
            }
            if (!families.TryGetValue(name, out var family)) families[name] = family = new PromFamily(name, null, null, []);
            return family;
        }
    }

    private static (string Metric, Dictionary<string, string> Labels, double Value) ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ')) i++;
        var metric = line[..i];
        if (!MetricName.IsMatch(metric)) throw new FormatException($"{where}: bad metric name '{metric}'.");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (i < line.Length && line[i] != '=') i++;
                var name = line[start..i];
                if (!LabelName.IsMatch(name)) throw new FormatException($"{where}: bad label name '{name}'.");
                if (++i >= line.Length || line[i] != '"') throw new FormatException($"{where}: label {name} value is not quoted.");
                i++;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException($"{where}: label {name} value is not closed.");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c != '\\') { value.Append(c); continue; }
                    if (i >= line.Length) throw new FormatException($"{where}: dangling backslash.");
                    value.Append(line[i++] switch
                    {
                        '\\' => '\\', '"' => '"', 'n' => '\n',
                        var other => throw new FormatException($"{where}: escape '\\{other}' is not allowed in a label value."),
                    });
                }
                if (!labels.TryAdd(name, value.ToString())) throw new FormatException($"{where}: label {name} twice.");
                if (line[i] == ',') i++;
                else if (line[i] != '}') throw new FormatException($"{where}: expected ',' or '}}' after label {name}.");
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"{where}: expected a space before the value.");
        var rest = line[(i + 1)..].Split(' ');
        if (rest.Length > 2 || (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            throw new FormatException($"{where}: expected 'value [timestamp]', found '{line[(i + 1)..]}'.");
        return (metric, labels, ParseValue(rest[0], where));
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        var s => throw new FormatException($"{where}: '{s}' is not a value."),
    };

    /// <summary>Each series of a histogram: buckets by increasing 'le', cumulative counts, '+Inf' equal to _count, and a _sum.</summary>
    private static void CheckHistogram(PromFamily family)
    {
        var name = family.Name;
        foreach (var series in family.Samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value))))
        {
            var where = $"histogram {name}{{{series.Key}}}";
            var buckets = series.Where(s => s.Metric == name + "_bucket").Select(s => (Le: ParseValue(s.Labels["le"], where), s.Value)).ToList();
            for (var i = 1; i < buckets.Count; i++)
                if (!(buckets[i].Le > buckets[i - 1].Le) || buckets[i].Value < buckets[i - 1].Value)
                    throw new FormatException($"{where}: bucket le={buckets[i].Le} does not follow le={buckets[i - 1].Le} with a count at least as large.");
            if (buckets.Count == 0 || !double.IsPositiveInfinity(buckets[^1].Le)) throw new FormatException($"{where}: no +Inf bucket.");
            var count = series.SingleOrDefault(s => s.Metric == name + "_count") ?? throw new FormatException($"{where}: no {name}_count.");
            if (count.Value != buckets[^1].Value) throw new FormatException($"{where}: {name}_count {count.Value} differs from the +Inf bucket {buckets[^1].Value}.");
            if (!series.Any(s => s.Metric == name + "_sum")) throw new FormatException($"{where}: no {name}_sum.");
        }
    }

    private static string UnescapeHelp(string text, string where)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\') { sb.Append(text[i]); continue; }
            if (++i >= text.Length) throw new FormatException($"{where}: dangling backslash in HELP.");
            sb.Append(text[i] switch { '\\' => '\\', 'n' => '\n', var other => throw new FormatException($"{where}: escape '\\{other}' is not allowed in HELP.") });
        }
        return sb.ToString();
    }
}
