using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Courseware.Notebooks;

/// <summary>One named series of points for <see cref="Chart.Lines"/>, <see cref="Chart.Scatter"/> or <see cref="Chart.Bars"/>.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="Y">The values.</param>
/// <param name="X">Numeric x positions (null: 0, 1, 2, …, or <paramref name="Labels"/>).</param>
/// <param name="Labels">Categorical x positions, e.g. run names or windows.</param>
/// <param name="Text">Hover text per point.</param>
/// <param name="ErrorY">Symmetric error bar per point (for example a standard error).</param>
public sealed record Series(
    string Name,
    IReadOnlyList<double> Y,
    IReadOnlyList<double>? X = null,
    IReadOnlyList<string>? Labels = null,
    IReadOnlyList<string>? Text = null,
    IReadOnlyList<double>? ErrorY = null)
{
    /// <summary>A series over numeric x: <c>Series.Of("lr=0.01", steps, losses)</c>.</summary>
    public static Series Of(string name, IEnumerable<double> x, IEnumerable<double> y) => new(name, y.ToArray(), X: x.ToArray());

    /// <summary>A series over categories: <c>Series.Categorical("acc", new[] { "tiny", "small" }, new[] { 0.41, 0.57 })</c>.</summary>
    public static Series Categorical(string name, IEnumerable<string> labels, IEnumerable<double> y) => new(name, y.ToArray(), Labels: labels.ToArray());
}

/// <summary>One axis of a parallel-coordinates chart. Categorical values are given as <paramref name="TickLabels"/> indices.</summary>
public sealed record ChartAxis(string Label, IReadOnlyList<double> Values, IReadOnlyList<string>? TickLabels = null)
{
    /// <summary>An axis for a categorical column: each distinct value becomes a tick, in first-seen order.</summary>
    public static ChartAxis Categorical(string label, IEnumerable<string> values)
    {
        var list = values.ToList();
        var ticks = list.Distinct().ToList();
        return new ChartAxis(label, list.Select(v => (double)ticks.IndexOf(v)).ToArray(), ticks);
    }
}

/// <summary>
/// An interactive chart drawn by Plotly.NET (in its own load context, see <see cref="PlotlyRenderer"/>) that renders
/// in every host: VS Code, dotnet-repl, <c>courseware run</c>, and offline HTML files. Every point is kept — nothing is
/// down-sampled, so a spike in a metric curve stays visible.
/// </summary>
/// <example><code>Chart.Lines(runs.Select(r => Series.Of(r.Name, r.Steps, r.Values)), title: "val/loss", xTitle: "epoch")</code></example>
public sealed class Chart : HtmlDisplayable
{
    readonly JsonObject _spec;
    string? _fragment;

    Chart(string kind, IEnumerable<JsonObject> traces, string? title, string? xTitle, string? yTitle, bool logX = false, bool logY = false, bool overlay = false)
    {
        Kind = kind;
        Title = title;
        _spec = new JsonObject
        {
            ["traces"] = new JsonArray(traces.Cast<JsonNode>().ToArray()),
            ["title"] = title,
            ["xTitle"] = xTitle,
            ["yTitle"] = yTitle,
            ["xLog"] = logX,
            ["yLog"] = logY,
            ["overlay"] = overlay,
        };
        if (((JsonArray)_spec["traces"]!).Count == 0)
            throw new ArgumentException($"A {kind} chart needs at least one series.");
    }

    /// <summary>The kind of chart (lines, scatter, bars, histogram, heatmap, parallel-coordinates, box).</summary>
    public string Kind { get; }

    /// <summary>The chart's title, if any.</summary>
    public string? Title { get; }

    /// <summary>Number of traces (series) drawn.</summary>
    public int TraceCount => ((JsonArray)_spec["traces"]!).Count;

    /// <summary>Line chart, one line per series (metric curves across runs).</summary>
    public static Chart Lines(IEnumerable<Series> series, string? title = null, string? xTitle = null, string? yTitle = null, bool logY = false, bool markers = false) =>
        new("lines", series.Select(s => XYTrace("line", s, markers)), title, xTitle, yTitle, logY: logY);

    /// <summary>Scatter plot of any two columns, one colour per series.</summary>
    public static Chart Scatter(IEnumerable<Series> series, string? title = null, string? xTitle = null, string? yTitle = null, bool logX = false, bool logY = false) =>
        new("scatter", series.Select(s => XYTrace("scatter", s, markers: true)), title, xTitle, yTitle, logX, logY);

    /// <summary>Grouped bar chart over categories (<see cref="Series.Labels"/>), with optional error bars.</summary>
    public static Chart Bars(IEnumerable<Series> series, string? title = null, string? xTitle = null, string? yTitle = null) =>
        new("bars", series.Select(s =>
        {
            var t = XYTrace("bar", s, markers: false);
            t.Remove("x");
            t["xLabels"] ??= ToArray((s.Labels ?? Enumerable.Range(0, s.Y.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()));
            return t;
        }), title, xTitle, yTitle);

    /// <summary>Overlaid histograms (for example reference vs current data of one column).</summary>
    public static Chart Histograms(IEnumerable<(string Name, IReadOnlyList<double> Values)> samples, string? title = null, string? xTitle = null, bool density = true) =>
        new("histogram", samples.Select(s => new JsonObject
        {
            ["kind"] = "histogram", ["name"] = s.Name, ["y"] = ToArray(s.Values), ["opacity"] = 0.6, ["density"] = density,
        }), title, xTitle, density ? "density" : "count", overlay: true);

    /// <summary>Box plots, one per sample.</summary>
    public static Chart Box(IEnumerable<(string Name, IReadOnlyList<double> Values)> samples, string? title = null, string? yTitle = null) =>
        new("box", samples.Select(s => new JsonObject { ["kind"] = "box", ["name"] = s.Name, ["y"] = ToArray(s.Values) }), title, null, yTitle);

    /// <summary>Heatmap, for example a confusion matrix (<paramref name="z"/>[row][column]).</summary>
    public static Chart Heatmap(IReadOnlyList<IReadOnlyList<double>> z, IReadOnlyList<string> columnLabels, IReadOnlyList<string> rowLabels, string? title = null, string? xTitle = null, string? yTitle = null)
    {
        if (z.Count != rowLabels.Count || z.Any(r => r.Count != columnLabels.Count))
            throw new ArgumentException($"Heatmap values must be {rowLabels.Count} rows × {columnLabels.Count} columns to match the labels.", nameof(z));
        return new("heatmap", [new JsonObject
        {
            ["kind"] = "heatmap",
            ["z"] = new JsonArray(z.Select(r => (JsonNode)ToArray(r)).ToArray()),
            ["xLabels"] = ToArray(columnLabels),
            ["yLabels"] = ToArray(rowLabels),
        }], title, xTitle, yTitle);
    }

    /// <summary>Parallel coordinates: one axis per parameter, lines coloured by a metric.</summary>
    public static Chart ParallelCoordinates(IEnumerable<ChartAxis> axes, IReadOnlyList<double> color, string? title = null)
    {
        var list = axes.ToList();
        if (list.Any(a => a.Values.Count != color.Count))
            throw new ArgumentException($"Every axis needs {color.Count} values, one per line (axis '{list.First(a => a.Values.Count != color.Count).Label}' has a different count).", nameof(axes));
        return new("parallel-coordinates", [new JsonObject
        {
            ["kind"] = "parcoords",
            ["color"] = ToArray(color),
            ["dimensions"] = new JsonArray(list.Select(a =>
            {
                var d = new JsonObject { ["label"] = a.Label, ["values"] = ToArray(a.Values) };
                if (a.TickLabels is not null) d["tickLabels"] = ToArray(a.TickLabels);
                return (JsonNode)d;
            }).ToArray()),
        }], title, null, null);
    }

    /// <summary>The chart specification handed to Plotly.NET (stable JSON, useful to test what a chart shows).</summary>
    public string ToSpecJson() => _spec.ToJsonString();

    /// <summary>
    /// HTML for a notebook output: the chart's div and script. The first chart rendered in a process also carries
    /// plotly.js (no CDN); later ones wait for it, so a notebook holds one copy however many charts it draws.
    /// </summary>
    public override string ToHtml() => PlotlyJs.WithLoader(Fragment());

    /// <summary>A complete, self-contained HTML document (plotly.js embedded), for reports and artifacts.</summary>
    public string ToStandaloneHtml() => PlotlyJs.StandaloneDocument(Title ?? "Chart", Fragment());

    /// <summary>Writes <see cref="ToStandaloneHtml"/> to a file (atomically: temp file, then rename).</summary>
    public void SaveHtml(string path) => AtomicFile.WriteAllText(path, ToStandaloneHtml());

    /// <inheritdoc />
    public override string ToString() => $"{Kind} chart{(Title is null ? "" : $" '{Title}'")} with {TraceCount} trace(s)";

    internal string Fragment() => _fragment ??= EscapeScriptBodies(PlotlyRenderer.RenderFragment(ToSpecJson()));

    // User text (titles, run names) lands in JSON inside <script>; "</script>" or "<!--" in it would end the element
    // early and let the rest be parsed as HTML. "<\/" and "<\!--" mean the same inside JavaScript strings.
    static string EscapeScriptBodies(string html)
    {
        var sb = new StringBuilder(html.Length);
        var at = 0;
        while (true)
        {
            var open = html.IndexOf("<script", at, StringComparison.OrdinalIgnoreCase);
            if (open < 0) break;
            var bodyStart = html.IndexOf('>', open) + 1;
            var close = html.LastIndexOf("</script>", StringComparison.OrdinalIgnoreCase);
            var next = html.IndexOf("<script", bodyStart, StringComparison.OrdinalIgnoreCase);
            // Plotly.NET writes one script per chart; its end is the last </script> before the next <script>, if any.
            if (next >= 0) close = html.LastIndexOf("</script>", next, StringComparison.OrdinalIgnoreCase);
            if (bodyStart <= 0 || close < bodyStart) break;
            sb.Append(html, at, bodyStart - at);
            sb.Append(html.AsSpan(bodyStart, close - bodyStart).ToString().Replace("</", "<\\/").Replace("<!--", "<\\!--"));
            at = close;
        }
        return sb.Append(html, at, html.Length - at).ToString();
    }

    static JsonObject XYTrace(string kind, Series s, bool markers)
    {
        var count = s.Y.Count;
        if (s.X is not null && s.X.Count != count) throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} x values but {count} y values.");
        if (s.Labels is not null && s.Labels.Count != count) throw new ArgumentException($"Series '{s.Name}' has {s.Labels.Count} labels but {count} y values.");
        var t = new JsonObject { ["kind"] = kind, ["name"] = s.Name, ["y"] = ToArray(s.Y), ["markers"] = markers };
        if (s.Labels is not null) t["xLabels"] = ToArray(s.Labels);
        else t["x"] = ToArray(s.X ?? Enumerable.Range(0, count).Select(i => (double)i).ToArray());
        if (s.Text is not null) t["text"] = ToArray(s.Text);
        if (s.ErrorY is not null) t["errorY"] = ToArray(s.ErrorY);
        return t;
    }

    // JSON has no NaN/∞: write them as strings, which the shim turns into NaN (a gap in the line).
    static JsonArray ToArray(IEnumerable<double> values) =>
        new(values.Select(v => double.IsFinite(v) ? JsonValue.Create(v) : (JsonNode)JsonValue.Create(Html.FormatNumber(v))).ToArray());

    static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
}
