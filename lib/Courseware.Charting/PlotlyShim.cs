using System.Text.Json;
using Microsoft.FSharp.Core;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using Plotly.NET.TraceObjects;
using CS = Plotly.NET.CSharp;

namespace Courseware.Charting;

/// <summary>
/// Entry point that Courseware calls by reflection from its own load context. Only BCL types cross the boundary:
/// a chart specification as JSON in (written by Courseware.Notebooks.Chart), an HTML fragment out
/// (a div and the script that draws it; plotly.js itself is supplied by Courseware, never a CDN).
/// </summary>
public static class PlotlyShim
{
    public static string RenderHtml(string specJson)
    {
        using var doc = JsonDocument.Parse(specJson);
        var spec = doc.RootElement;
        var traces = spec.GetProperty("traces").EnumerateArray().Select(BuildTrace).ToList();
        var chart = traces.Count == 1 ? traces[0] : CS.Chart.Combine(traces);
        chart = ApplyLayout(chart, spec);
        chart = GenericChart.setDisplayOptions(
            DisplayOptions.init(null, null, null, null, null, null, FSharpOption<PlotlyJSReference>.Some(PlotlyJSReference.NoReference)), chart);
        return GenericChart.toChartHTML(chart);
    }

    static GenericChart BuildTrace(JsonElement t)
    {
        var kind = t.GetProperty("kind").GetString();
        var name = Str(t, "name") ?? "";
        var opacity = t.TryGetProperty("opacity", out var o) ? o.GetDouble() : 1.0;
        return kind switch
        {
            "line" or "scatter" => XY(t, kind == "line", name, opacity),
            "bar" => Bar(t, name, opacity),
            "histogram" => CS.Chart.Histogram<double, double, string>(
                X: Doubles(t, "y"), Name: name, Opacity: opacity,
                HistNorm: t.TryGetProperty("density", out var d) && d.GetBoolean() ? StyleParam.HistNorm.ProbabilityDensity : StyleParam.HistNorm.None),
            "box" => CS.Chart.BoxPlot<string, double, string>(Y: Doubles(t, "y"), Name: name, BoxPoints: StyleParam.BoxPoints.Outliers),
            "heatmap" => CS.Chart.Heatmap<double, string, string, string>(
                zData: t.GetProperty("z").EnumerateArray().Select(r => r.EnumerateArray().Select(Num).ToArray()).ToArray(),
                X: Strings(t, "xLabels"), Y: Strings(t, "yLabels"), Name: name, ColorScale: StyleParam.Colorscale.Viridis),
            "parcoords" => ParallelCoordinates(t, name),
            _ => throw new ArgumentException($"Unknown trace kind '{kind}'."),
        };
    }

    static GenericChart XY(JsonElement t, bool line, string name, double opacity)
    {
        var y = Doubles(t, "y");
        var text = t.TryGetProperty("text", out _) ? Strings(t, "text") : null;
        GenericChart chart;
        if (t.TryGetProperty("xLabels", out _))
        {
            var x = Strings(t, "xLabels");
            chart = line
                ? CS.Chart.Line<string, double, string>(x, y, Name: name, Opacity: opacity, ShowMarkers: Bool(t, "markers"), MultiText: Opt(text))
                : CS.Chart.Point<string, double, string>(x, y, Name: name, Opacity: opacity, MultiText: Opt(text));
        }
        else
        {
            var x = Doubles(t, "x");
            chart = line
                ? CS.Chart.Line<double, double, string>(x, y, Name: name, Opacity: opacity, ShowMarkers: Bool(t, "markers"), MultiText: Opt(text))
                : CS.Chart.Point<double, double, string>(x, y, Name: name, Opacity: opacity, MultiText: Opt(text));
        }
        return WithErrors(chart, t);
    }

    static GenericChart Bar(JsonElement t, string name, double opacity) =>
        WithErrors(CS.Chart.Column<double, string, string>(Doubles(t, "y"), Keys: Strings(t, "xLabels"), Name: name, Opacity: opacity), t);

    static GenericChart ParallelCoordinates(JsonElement t, string name)
    {
        var dims = t.GetProperty("dimensions").EnumerateArray().Select(d =>
        {
            var labels = d.TryGetProperty("tickLabels", out _) ? Strings(d, "tickLabels") : null;
            var values = Doubles(d, "values");
            // F# optional parameters must be passed positionally from C#; null is F#'s None.
            return Dimension.initParallel<string, string, int, double>(
                null, FSharpOption<string>.Some(d.GetProperty("label").GetString()!), null, null, null, null, null,
                labels is null ? null : FSharpOption<IEnumerable<string>>.Some(labels),
                labels is null ? null : FSharpOption<IEnumerable<int>>.Some(Enumerable.Range(0, labels.Length)),
                FSharpOption<IEnumerable<double>>.Some(values), null, null);
        }).ToArray();
        var color = Doubles(t, "color");
        return CS.Chart.ParallelCoord(dims, Name: name,
            LineColor: Color.fromColors(color.Select(c => Color.fromString(c.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))),
            LineColorScale: StyleParam.Colorscale.Viridis, ShowLineColorScale: true);
    }

    static GenericChart WithErrors(GenericChart chart, JsonElement t) =>
        t.TryGetProperty("errorY", out _)
            ? Chart.withYErrorStyle<double, double>(FSharpOption<bool>.Some(true), FSharpOption<StyleParam.ErrorType>.Some(StyleParam.ErrorType.Data), null,
                FSharpOption<IEnumerable<double>>.Some(Doubles(t, "errorY")), null, null, null, null, null, null, null, null, null).Invoke(chart)
            : chart;

    static GenericChart ApplyLayout(GenericChart chart, JsonElement spec)
    {
        if (Str(spec, "title") is { } title) chart = Chart.withTitle(title, null).Invoke(chart);
        chart = CS.GenericChartExtensions.WithXAxisStyle<double, double, string>(chart, TitleText: Str(spec, "xTitle") ?? "",
            AxisType: Bool(spec, "xLog") ? StyleParam.AxisType.Log : StyleParam.AxisType.Auto);
        chart = CS.GenericChartExtensions.WithYAxisStyle<double, double, string>(chart, TitleText: Str(spec, "yTitle") ?? "",
            AxisType: Bool(spec, "yLog") ? StyleParam.AxisType.Log : StyleParam.AxisType.Auto);
        if (spec.TryGetProperty("overlay", out var ov) && ov.GetBoolean())
        {
            var layout = GenericChart.getLayout(chart);
            layout.SetProperty("barmode", "overlay");
            chart = GenericChart.setLayout(layout, chart);
        }
        var width = spec.TryGetProperty("width", out var w) ? w.GetInt32() : 760;
        var height = spec.TryGetProperty("height", out var h) ? h.GetInt32() : 440;
        return CS.GenericChartExtensions.WithSize(chart, width, height);
    }

    // No values → None, so the trace has no "text" key; converting a null array would give Some(null) and write "text": null.
    static CS.Optional<IEnumerable<string>> Opt(string[]? values) => values is null ? default(CS.Optional<IEnumerable<string>>) : values;
    static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
    static double[] Doubles(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(Num).ToArray();
    static string[] Strings(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.ToString()).ToArray();
    // NaN and ±∞ are written as strings by Courseware (JSON has no literal for them); plotly draws NaN as a gap.
    static double Num(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
}
