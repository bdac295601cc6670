using Courseware.Notebooks;
using System.Diagnostics;
using Courseware.Drift;
using Microsoft.Data.Analysis;

namespace Courseware.Tests.Drift;

public class DriftHtmlTests
{
    [Fact]
    public void UserStringsAreEscaped()
    {
        var reference = new DataFrame(new StringDataFrameColumn("<b>col</b>", ["<script>alert(1)</script>", "a", "b"]));
        var current = new DataFrame(new StringDataFrameColumn("<b>col</b>", ["a", "a", "b"]));
        var html = HtmlRenderers.Render(DriftReport.Compute(reference, current));
        Assert.Contains("&lt;b&gt;col&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>col</b>", html); // not in the table, not in the chart titles
        Assert.DoesNotContain("<script>alert(1)</script>", html);
    }

    [Fact]
    public async Task ReportDrawsOfflineInHeadlessChromiumWithoutConsoleErrors()
    {
        if (!File.Exists("/usr/bin/chromium")) Assert.Fail("Debian's chromium is required (.ci/run installs it).");
        var weather = await TableReader.ReadAsync(DriftReportTests.Dataset("seattle-weather.csv"));
        var dates = (PrimitiveDataFrameColumn<DateTime>)weather.Columns["date"];
        DataFrame Year(Func<int, bool> keep) => weather.Filter(new PrimitiveDataFrameColumn<bool>("m", dates.Select(d => (bool?)keep(d!.Value.Year))));
        var reference = Year(y => y == 2012);
        var current = Year(y => y == 2015);
        var report = DriftReport.Compute(reference, current);
        var monitoring = DriftMonitor.Run(reference, DriftMonitor.Split(current, "date", WindowSize.Month));

        var dir = Directory.CreateTempSubdirectory("cw-drift-html-").FullName;
        try
        {
            var path = Path.Combine(dir, "report.html");
            report.SaveHtml(path, monitoring);
            var html = File.ReadAllText(path);
            Assert.DoesNotContain("<script src=", html); // plotly.js is inline: the file works offline
            Assert.DoesNotContain("<link ", html);
            Assert.Contains("Dataset drift detected", html);
            foreach (var header in new[] { ">type<", ">test<", ">score<", ">threshold<", ">drifted<" }) Assert.Contains(header, html);
            Assert.Contains(">K-S p_value<", html);
            Assert.Contains(">chi-square p_value<", html);

            // A copy with an error recorder in front of everything else, and the result written into the DOM.
            const string recorder = "<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message))});" +
                "var __ce=console.error;console.error=function(){__errors.push([].join.call(arguments,' '));__ce.apply(console,arguments)};</script>";
            const string reporter = "<script>setTimeout(function(){document.body.setAttribute('data-errors',JSON.stringify(__errors))},3000)</script>";
            var probe = Path.Combine(dir, "probe.html");
            File.WriteAllText(probe, html.Replace("<head>", "<head>" + recorder).Replace("</body>", reporter + "</body>"));
            var (dom, log) = Chromium(probe);
            Assert.Contains("data-errors=\"[]\"", dom);
            Assert.DoesNotContain("Uncaught", log);
            Assert.DoesNotContain("ERR_NAME_NOT_RESOLVED", log); // nothing tried the network
            int charts = report.Columns.Count(c => c.Distribution is not null) + 2; // overlays + PSI and share over windows
            Assert.Equal(charts, dom.Split("class=\"plot-container plotly\"").Length - 1);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Debian's chromium, headless, with every host name unresolvable so any network use shows up in the log.</summary>
    static (string Dom, string Log) Chromium(string htmlPath)
    {
        var psi = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={Path.Combine(Path.GetTempPath(), "cw-chromium-" + Guid.NewGuid().ToString("N"))}",
                     "--virtual-time-budget=15000", "--dump-dom", new Uri(htmlPath).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var log = p.StandardError.ReadToEndAsync();
        var dom = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(90_000)) { p.Kill(true); throw new TimeoutException("chromium did not finish in 90 s"); }
        return (dom, log.Result);
    }
}
