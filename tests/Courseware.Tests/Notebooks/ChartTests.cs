using System.Diagnostics;
using System.Text.Json;
using Courseware.Notebooks;

namespace Courseware.Tests.Notebooks;

public class ChartTests
{
    [Fact]
    public void Line_chart_keeps_every_point_including_a_spike()
    {
        // 1,000 points with one spike: MLflow's UI samples to ~320 points and can hide it; we must not.
        var y = Enumerable.Range(0, 1000).Select(i => i == 617 ? 50.0 : 1.0 / (i + 1)).ToArray();
        var chart = Chart.Lines([Series.Of("run-a", Enumerable.Range(0, 1000).Select(i => (double)i), y)], title: "val/loss", xTitle: "step");

        var html = chart.Fragment();
        using var data = JsonDocument.Parse(ExtractDataJson(html));
        var trace = data.RootElement[0];
        Assert.Equal(1000, trace.GetProperty("y").GetArrayLength());
        Assert.Equal(50.0, trace.GetProperty("y")[617].GetDouble());
        Assert.Equal("run-a", trace.GetProperty("name").GetString());
        Assert.Equal("lines", trace.GetProperty("mode").GetString());
    }

    [Fact]
    public void Standalone_html_embeds_plotly_js_and_no_cdn()
    {
        var html = Chart.Bars([Series.Categorical("acc", ["tiny", "small"], [0.41, 0.57]) with { ErrorY = [0.02, 0.03] }], title: "MMLU-style").ToStandaloneHtml();
        Assert.Contains("plotly.js v" + PlotlyJs.Version, html);
        // plotly.js mentions its CDN for optional map topologies; everything outside it must be local.
        var outsideLibrary = html.Replace(PlotlyJs.Source, "");
        Assert.DoesNotContain("cdn.plot.ly", outsideLibrary);
        Assert.DoesNotContain("<script src=", outsideLibrary);
        Assert.StartsWith("4.", PlotlyJs.Version);
    }

    [Fact]
    public void Notebook_html_carries_plotly_js_once_per_process()
    {
        var first = Chart.Lines([Series.Of("a", [0, 1], [1, 2])]).ToHtml();
        var second = Chart.Lines([Series.Of("b", [0, 1], [2, 3])]).ToHtml();
        // Whichever test ran first took the embedded copy; from then on no chart repeats the 4.8 MB library.
        Assert.True(second.Length < 20_000, $"second chart HTML is {second.Length} chars");
        Assert.Contains("window.Plotly", second);
        Assert.True(first.Length < 20_000 || first.Contains(PlotlyJs.Source[..200]));
    }

    [Fact]
    public void Non_finite_values_become_gaps_not_errors()
    {
        var html = Chart.Lines([Series.Of("nan", [0, 1, 2], [1, double.NaN, double.PositiveInfinity])]).Fragment();
        using var data = JsonDocument.Parse(ExtractDataJson(html));
        var y = data.RootElement[0].GetProperty("y");
        Assert.Equal(1.0, y[0].GetDouble());
        Assert.Equal("NaN", y[1].ToString());
    }

    [Fact]
    public void Mismatched_lengths_are_rejected_with_the_series_named()
    {
        var e = Assert.Throws<ArgumentException>(() => Chart.Lines([new Series("lr=0.1", [1, 2, 3], X: [0, 1])]));
        Assert.Contains("lr=0.1", e.Message);
        Assert.Contains("2 x values but 3 y values", e.Message);
        var h = Assert.Throws<ArgumentException>(() => Chart.Heatmap([[1, 2], [3]], ["a", "b"], ["x", "y"]));
        Assert.Contains("2 rows × 2 columns", h.Message);
    }

    [Fact]
    public void Every_chart_kind_draws_in_headless_chromium()
    {
        if (!File.Exists("/usr/bin/chromium")) Assert.Fail("Debian's chromium is required (.ci/run installs it).");
        var charts = new[]
        {
            Chart.Lines([Series.Of("a", [0, 1, 2], [1, 2, 1.5]), Series.Of("b", [0, 1, 2], [2, 1, 0.5])], title: "lines"),
            Chart.Scatter([Series.Of("p", [1, 2, 3], [3, 1, 2])], title: "scatter", logX: true),
            Chart.Bars([Series.Categorical("acc", ["x", "y"], [0.3, 0.6]) with { ErrorY = [0.1, 0.05] }], title: "bars"),
            Chart.Histograms([("ref", [1, 2, 2, 3, 3, 3]), ("cur", [2, 3, 3, 4, 4, 5])], title: "hist"),
            Chart.Box([("a", [1, 2, 3, 10])], title: "box"),
            Chart.Heatmap([[5, 1], [2, 7]], ["A", "B"], ["A", "B"], title: "confusion"),
            Chart.ParallelCoordinates([new ChartAxis("lr", [0.1, 0.01, 0.001]), ChartAxis.Categorical("opt", ["adam", "sgd", "adam"])], [0.7, 0.8, 0.9], title: "parcoords"),
        };
        var body = string.Concat(charts.Select(c => c.Fragment()));
        var path = Path.Combine(Path.GetTempPath(), $"cw-charts-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, PlotlyJs.StandaloneDocument("all charts", body));
        try
        {
            var dom = Chromium.DumpDom(path);
            // plotly draws each figure into an <svg class="main-svg">; parcoords and heatmaps too.
            var drawn = dom.Split("class=\"plot-container plotly\"").Length - 1;
            Assert.Equal(charts.Length, drawn);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void User_text_cannot_close_the_script_element()
    {
        var html = Chart.Bars([Series.Categorical("</script><b>run</b>", ["<!--a", "b"], [1, 2])], title: "t</script><img src=x onerror=alert(1)>").Fragment();
        var script = html.IndexOf("<script", StringComparison.Ordinal);
        // Exactly one closing tag, at the very end of the script: nothing the user wrote ends it early.
        Assert.Equal(html.LastIndexOf("</script>", StringComparison.Ordinal), html.IndexOf("</script>", script, StringComparison.Ordinal));
        Assert.DoesNotContain("<!--a", html);
        Assert.Contains("t<\\/script>", html);
    }

    static string ExtractDataJson(string html)
    {
        var start = html.IndexOf("var data = ", StringComparison.Ordinal) + "var data = ".Length;
        var end = html.IndexOf(";", start, StringComparison.Ordinal);
        return html[start..end];
    }
}

/// <summary>Debian's headless chromium, with the flags this sandboxed machine needs (no network, root).</summary>
internal static class Chromium
{
    public static string DumpDom(string htmlPath)
    {
        var psi = new ProcessStartInfo("/usr/bin/chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", $"--user-data-dir={Path.Combine(Path.GetTempPath(), "cw-chromium-" + Guid.NewGuid().ToString("N"))}",
                     "--virtual-time-budget=10000", "--dump-dom", new Uri(htmlPath).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var dom = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 60 s"); }
        return dom;
    }
}
