using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Courseware.Cli.Grading;
using Courseware.Notebooks;
using Courseware.Tests.Reproducibility;
using Courseware.Tests.Runner;
using Courseware.Tests.Server;
using Microsoft.Playwright;
using static Courseware.Tests.Notebooks.NotebookSiteTests;

namespace Courseware.Tests.Notebooks;

/// <summary>
/// The course site in Debian's chromium, opened from disk as a learner would: notebooks executed by the runner fixture
/// (shared with the runner tests, so no extra kernel time) and two charts made here. Every page loads with no console
/// error, every chart draws, the whole site references one plotly.js, and a hostile output's script stays in its frame.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed partial class NotebookSiteBrowserTests(RunnerFixture run, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly string[] Executed = ["basics.ipynb", "errors.ipynb", "lab/library.ipynb", "sample.dib", "dataframe.ipynb"];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_page_loads_without_console_errors_and_every_chart_draws(bool trust)
    {
        using var temp = new TempFolder();
        var inputs = Executed.Select(n => run[n].OutputPath!).ToList();
        Assert.All(inputs, path => Assert.True(File.Exists(path), path));
        var charts = Chart.Lines([Series.Of("loss", [0, 1, 2], [0.9, 0.5, 0.4])], title: "first");
        var bars = Chart.Bars([Series.Categorical("acc", ["tiny", "small"], [0.41, 0.57])], title: "second");
        inputs.Add(temp.Write("charts.ipynb", Notebook(Markdown("# Two charts"), Code("a", Display("text/html", charts.ToHtml())), Code("b", Display("text/html", bars.ToHtml()))).ToJsonString()));
        var site = Path.Combine(temp.Path, "site");

        var files = CourseSite.Write(inputs, site, new NotebookSiteOptions { TrustHtml = trust });

        // One copy of plotly.js in the site; every reference points at it; no page embeds another.
        Assert.Equal([NotebookSite.PlotlyFile], files.Where(f => f.EndsWith(".js", StringComparison.Ordinal)));
        var pages = files.Where(f => f.EndsWith(".html", StringComparison.Ordinal)).ToList();
        Assert.Equal(["basics.html", "charts.html", "dataframe.html", "errors.html", "index.html", "library.html", "sample.html"], pages);
        foreach (var page in pages)
        {
            var html = await File.ReadAllTextAsync(Path.Combine(site, page));
            Assert.DoesNotContain("* plotly.js v", html);
            Assert.All(ScriptSource().Matches(html).Select(m => m.Groups[1].Value), src => Assert.Equal(NotebookSite.PlotlyFile, src));
        }

        var drawn = new Dictionary<string, int>();
        foreach (var page in pages)
        {
            await using var context = await browser.Browser.NewContextAsync();
            var tab = await context.NewPageAsync();
            tab.SetDefaultTimeout(30_000);
            var errors = new List<string>();
            tab.Console += (_, m) => { if (m.Type == "error") errors.Add($"{page}: {m.Text}"); };
            tab.PageError += (_, e) => errors.Add($"{page}: {e}");
            await tab.GotoAsync(new Uri(Path.Combine(site, page)).AbsoluteUri);
            var expected = Regex.Matches(await File.ReadAllTextAsync(Path.Combine(site, page)), "Plotly\\.newPlot").Count;
            drawn[page] = await DrawnChartsAsync(tab, expected);
            Assert.Empty(errors);
        }
        Assert.Equal(new Dictionary<string, int>
        {
            ["basics.html"] = 0, ["charts.html"] = 2, ["dataframe.html"] = 0, ["errors.html"] = 0, ["index.html"] = 0, ["library.html"] = 1, ["sample.html"] = 0,
        }, drawn);
    }

    [Fact]
    public async Task A_hostile_html_output_runs_only_inside_its_sandboxed_frame()
    {
        using var temp = new TempFolder();
        const string attack = "<p id=\"mine\">hello</p><script>document.body.dataset.ran='yes';" +
                              "try{parent.document.body.dataset.pwned='parent'}catch(e){}try{top.localStorage.setItem('pwned','1')}catch(e){}</script>";
        var input = temp.Write("lab.ipynb", Notebook(Markdown("# Lab"), Code("html", Display("text/html", attack))).ToJsonString());
        CourseSite.Write([input], Path.Combine(temp.Path, "site"), new NotebookSiteOptions());

        await using var context = await browser.Browser.NewContextAsync();
        var tab = await context.NewPageAsync();
        await tab.GotoAsync(new Uri(Path.Combine(temp.Path, "site", "lab.html")).AbsoluteUri);
        var frame = tab.Frames.Single(f => f != tab.MainFrame);
        await frame.WaitForFunctionAsync("document.body && document.body.dataset.ran === 'yes'");

        Assert.Equal("hello", await frame.Locator("#mine").TextContentAsync());
        Assert.Null(await tab.EvaluateAsync<string?>("document.body.dataset.pwned ?? null"));
        Assert.Equal(0, await tab.Locator("#mine").CountAsync());
        // The frame reported its height and the page sized the frame to it.
        await tab.WaitForFunctionAsync("document.querySelector('iframe.cw-frame').style.height !== ''");
    }

    /// <summary>Waits until <paramref name="expected"/> charts have drawn (in the page or its frames); returns how many did.</summary>
    private static async Task<int> DrawnChartsAsync(IPage tab, int expected)
    {
        const string count = "[...document.querySelectorAll('.js-plotly-plot')].filter(d => d.querySelector('.main-svg')).length";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var charts = 0;
            foreach (var frame in tab.Frames)
                charts += await frame.EvaluateAsync<int>($"document.readyState === 'complete' ? {count} : 0");
            if (charts >= expected || clock.Elapsed > TimeSpan.FromSeconds(20)) return charts;
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("<script src=\"([^\"]*)\"")]
    private static partial Regex ScriptSource();
}
