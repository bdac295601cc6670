using System.Globalization;
using System.Runtime.CompilerServices;
using Courseware.Tracking;
using Microsoft.Playwright;

namespace Courseware.Tests.Server;

/// <summary>Debian's chromium driven by Playwright (never a downloaded browser), shared by the UI tests.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"The UI tests need Debian's chromium at {ChromiumPath} (apt-get install chromium).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

/// <summary>Page helpers of the UI tests: a page in a fresh context (a screenshot and the HTML under ui-failures/ when the body throws), navigation, the runs table.</summary>
internal static class UiPage
{
    public static async Task RunAsync(IBrowser browser, Func<IPage, Task> body, string test)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var pageErrors = new List<string>();
        page.PageError += (_, e) => pageErrors.Add(e);
        try
        {
            await body(page);
            Assert.Empty(pageErrors);
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "ui-failures");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, test + ".png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(folder, test + ".html"), await page.ContentAsync());
            throw;
        }
    }

    public static async Task GoAsync(IPage page, string serverUrl, string hash)
    {
        await page.GotoAsync(serverUrl + "/" + hash);
        await page.WaitForSelectorAsync("body[data-ready]");
    }

    public static async Task<List<string>> RowNamesAsync(IPage page) =>
        [.. await page.Locator("#runs-table a.run-link").AllTextContentsAsync()];

    /// <summary>Runs <paramref name="action"/> and waits until the runs table it causes to load replaced the old one.</summary>
    public static async Task ReloadedAsync(IPage page, Func<Task> action)
    {
        // Each load replaces the table element; wait for the new one.
        var before = await page.EvaluateHandleAsync("() => document.getElementById('runs-table') || document.getElementById('no-runs')");
        await action();
        await page.WaitForFunctionAsync("old => { const t = document.getElementById('runs-table') || document.getElementById('no-runs'); return t && t !== old; }", before);
    }
}

/// <summary>
/// The web UI in a real browser against a real server: escaping of hostile names, filtering and sorting the runs table
/// (expected rows computed here with LINQ from the logged values), every point of a long metric history in the chart,
/// and the compare view. A failing test leaves a screenshot under the test output's ui-failures/ folder.
/// </summary>
public sealed class WebUiTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private LiveServer _server = null!;

    public async Task InitializeAsync() => _server = await LiveServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task InPageAsync(Func<IPage, Task> body, [CallerMemberName] string test = "") => UiPage.RunAsync(browser.Browser, body, test);

    private Task GoAsync(IPage page, string hash) => UiPage.GoAsync(page, _server.Url, hash);

    [Fact]
    public async Task A_script_in_a_run_name_param_and_tag_is_shown_as_text_and_never_runs()
    {
        const string name = "<script>alert(1)</script>";
        const string img = "<img src=x onerror=alert(2)>";
        var experimentId = await _server.Store.CreateExperimentAsync("<b>bold</b> experiment");
        var run = await _server.Store.CreateRunAsync(experimentId, name, 1_000, "eve");
        await _server.Store.LogBatchAsync(run.RunId, [new Metric("acc", 0.5, 1, 0)], [new Param("opt", img)], [new RunTag("note", img)]);

        await InPageAsync(async page =>
        {
            var dialogs = new List<string>();
            page.Dialog += async (_, d) => { dialogs.Add(d.Message); await d.DismissAsync(); };

            await GoAsync(page, "");
            Assert.Equal("<b>bold</b> experiment", await page.Locator("#experiments-table a").First.TextContentAsync());
            Assert.Equal(0, await page.Locator("#experiments-table b").CountAsync());

            await GoAsync(page, $"#/experiments/{experimentId}");
            await page.WaitForSelectorAsync("#runs-table");
            Assert.Equal(name, await page.Locator("a.run-link").TextContentAsync());
            Assert.Contains(img, await page.Locator("#runs-table").InnerTextAsync());

            await GoAsync(page, $"#/runs/{run.RunId}");
            Assert.Equal(name, await page.Locator("#run-name").TextContentAsync());
            Assert.Contains(img, await page.Locator("#params").InnerTextAsync());
            Assert.Contains(img, await page.Locator("#tags").InnerTextAsync());

            // Only our own scripts (served from /static/) exist, no <img> was created from the strings, and no alert ever fired.
            Assert.Equal(0, await page.Locator("script:not([src^='/static/'])").CountAsync());
            Assert.Equal(0, await page.Locator("#view img").CountAsync());
            Assert.Empty(dialogs);
        });
    }

    private sealed record Seeded(string ExperimentId, List<Run> Runs);

    // 240 runs: three optimizers, a deterministic accuracy per run, some without an accuracy at all.
    private async Task<Seeded> SeedSweepAsync()
    {
        var id = await _server.Store.CreateExperimentAsync("sweep");
        string[] optimizers = ["adam", "sgd", "rmsprop"];
        for (var i = 0; i < 240; i++)
        {
            var run = await _server.Store.CreateRunAsync(id, $"run-{i:D3}", 10_000 + i, "ada");
            // (i * 37) mod 101 / 100: distinct values spread over [0, 1).
            List<Metric> metrics = i % 11 == 5 ? [] : [new Metric("acc", (i * 37 % 101) / 100.0, 1, 0)];
            await _server.Store.LogBatchAsync(run.RunId, metrics,
                [new Param("optimizer", optimizers[i % 3]), new Param("lr", (0.001 * (1 + i % 4)).ToString(CultureInfo.InvariantCulture))], []);
        }
        var all = await _server.Store.SearchRunsAsync(new RunQuery([id], MaxResults: 1000));
        return new Seeded(id, all.ToList());
    }

    private static Task<List<string>> RowNamesAsync(IPage page) => UiPage.RowNamesAsync(page);

    private static Task ReloadedAsync(IPage page, Func<Task> action) => UiPage.ReloadedAsync(page, action);

    [Fact]
    public async Task Runs_table_filters_with_the_search_grammar_sorts_by_a_column_and_pages_on_the_server()
    {
        var seeded = await SeedSweepAsync();
        const string filter = "params.optimizer = 'adam' and metrics.acc > 0.3";
        var matching = seeded.Runs.Where(r => r.Param("optimizer") == "adam" && r.Metric("acc") > 0.3).ToList();
        Assert.InRange(matching.Count, 30, 79); // one page, several rows, not everything

        await InPageAsync(async page =>
        {
            await GoAsync(page, $"#/experiments/{seeded.ExperimentId}");
            await page.WaitForSelectorAsync("#runs-table");
            // Default order: newest first, 100 per page, the rest on the next pages.
            Assert.Equal(seeded.Runs.OrderByDescending(r => r.Info.StartTime).Take(100).Select(r => r.Name), await RowNamesAsync(page));
            await ReloadedAsync(page, () => page.ClickAsync("#next"));
            Assert.Equal(seeded.Runs.OrderByDescending(r => r.Info.StartTime).Skip(100).Take(100).Select(r => r.Name), await RowNamesAsync(page));
            Assert.Equal("runs 101–200 of 240", await page.Locator("#page-info").TextContentAsync());

            await page.FillAsync("#filter", filter);
            await ReloadedAsync(page, () => page.PressAsync("#filter", "Enter"));
            Assert.Equal(matching.OrderByDescending(r => r.Info.StartTime).Select(r => r.Name), await RowNamesAsync(page));

            await ReloadedAsync(page, () => page.ClickAsync("th[data-order='metrics.acc']"));
            Assert.Equal(matching.OrderByDescending(r => r.Metric("acc")).Select(r => r.Name), await RowNamesAsync(page));
            Assert.Contains("sorted-desc", await page.GetAttributeAsync("th[data-order='metrics.acc']", "class"));
            var accCells = await page.Locator("#runs-table tbody tr td:nth-child(6)").AllTextContentsAsync();
            Assert.Equal(matching.OrderByDescending(r => r.Metric("acc")).Select(r => r.Metric("acc")!.Value.ToString(CultureInfo.InvariantCulture)), accCells);

            await ReloadedAsync(page, () => page.ClickAsync("th[data-order='metrics.acc']"));
            Assert.Equal(matching.OrderBy(r => r.Metric("acc")).Select(r => r.Name), await RowNamesAsync(page));

            // The address keeps filter and order: opening it afresh shows the same rows.
            var bookmarked = page.Url;
            await using (var other = await browser.Browser.NewContextAsync())
            {
                var again = await other.NewPageAsync();
                await again.GotoAsync(bookmarked);
                await again.WaitForSelectorAsync("#runs-table");
                Assert.Equal(matching.OrderBy(r => r.Metric("acc")).Select(r => r.Name), await RowNamesAsync(again));
                Assert.Equal(filter, await again.InputValueAsync("#filter"));
            }

            // Hiding a column removes it; the rows stay.
            await page.ClickAsync("summary:has-text('Columns')");
            await ReloadedAsync(page, () => page.UncheckAsync("input[data-column='p:lr']"));
            Assert.Equal(0, await page.Locator("th[data-order='params.lr']").CountAsync());
            Assert.Equal(matching.Count, (await RowNamesAsync(page)).Count);

            // A bad filter shows the parser's message, pointing at the column.
            await page.FillAsync("#filter", "metrics.acc >> 1");
            await page.PressAsync("#filter", "Enter");
            var error = await page.Locator("#error .error").TextContentAsync();
            Assert.Contains("INVALID_PARAMETER_VALUE", error);
            Assert.Contains("column 14", error);
        });
    }

    [Fact]
    public async Task Run_page_chart_plots_every_point_including_a_one_step_spike_and_zooms()
    {
        const int points = 5000;
        const int spikeStep = 3333;
        var run = await _server.Store.CreateRunAsync("0", "long", 1_000, "ada");
        // loss = 1 / (1 + step/100) except a single spike of 50 at step 3333 (what 320-point sampling hides).
        var history = Enumerable.Range(0, points).Select(s => new Metric("loss", s == spikeStep ? 50.0 : 1.0 / (1 + s / 100.0), 2_000 + s, s)).ToList();
        foreach (var chunk in history.Chunk(1000)) await _server.Store.LogBatchAsync(run.RunId, chunk, [], []);
        await _server.Store.LogBatchAsync(run.RunId, [new Metric("acc", 0.9, 1, 0)], [], []);
        var expectedSum = history.Sum(m => m.Value);
        foreach (var fold in new[] { 1, 2 })
            await _server.Store.CreateRunAsync("0", $"fold-{fold}", 5_000 + fold, "ada", [new RunTag(SystemTags.ParentRunId, run.RunId)]);

        await InPageAsync(async page =>
        {
            await GoAsync(page, $"#/runs/{run.RunId}");
            var chart = "#charts [data-metric='loss']";
            await page.WaitForSelectorAsync(chart + " .main-svg");
            var stats = await page.EvalOnSelectorAsync<double[]>(chart,
                "gd => [gd.data[0].x.length, gd.data[0].y.length, Math.max(...gd.data[0].y), gd.data[0].x[3333], gd.data[0].y.reduce((a, b) => a + b, 0)]");
            Assert.Equal(points, stats[0]);
            Assert.Equal(points, stats[1]);
            Assert.Equal(50.0, stats[2]);
            Assert.Equal(spikeStep, stats[3]);
            Assert.Equal(expectedSum, stats[4], 1e-9);

            // Drag-to-zoom on the plot narrows the x range.
            var box = (await page.Locator(chart + " .nsewdrag").First.BoundingBoxAsync())!;
            await page.Mouse.MoveAsync(box.X + box.Width * 0.3f, box.Y + box.Height * 0.5f);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(box.X + box.Width * 0.5f, box.Y + box.Height * 0.5f, new MouseMoveOptions { Steps = 5 });
            await page.Mouse.UpAsync();
            await page.WaitForFunctionAsync($"() => {{ const r = document.querySelector(\"{chart}\").layout.xaxis.range; return r[1] - r[0] < 2500; }}");

            // Nested runs (cross-validation folds) are listed under their parent.
            Assert.Equal(["fold-1", "fold-2"], await page.Locator("#child-runs li a").AllTextContentsAsync());
        });
    }

    [Fact]
    public async Task Compare_view_overlays_curves_and_draws_parallel_coordinates_for_the_selected_runs()
    {
        var seeded = await SeedSweepAsync();
        await InPageAsync(async page =>
        {
            await GoAsync(page, $"#/experiments/{seeded.ExperimentId}");
            await page.WaitForSelectorAsync("#runs-table");
            var rows = page.Locator("#runs-table tbody tr");
            var picked = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                await rows.Nth(i).Locator("input[type=checkbox]").CheckAsync();
                picked.Add((await rows.Nth(i).GetAttributeAsync("data-run-id"))!);
            }
            await page.ClickAsync("#compare");
            await page.WaitForSelectorAsync("#parallel .main-svg");
            var dims = await page.EvalOnSelectorAsync<string[]>("#parallel", "gd => gd.data[0].dimensions.map(d => d.label)");
            Assert.Equal(["lr", "optimizer", "acc"], dims);
            var runsWithAcc = seeded.Runs.Where(r => picked.Contains(r.RunId) && r.Metric("acc") is not null).Select(r => r.Name).Order();
            await page.WaitForSelectorAsync("#curves [data-metric='acc'] .main-svg");
            var traces = await page.EvalOnSelectorAsync<string[]>("#curves [data-metric='acc']", "gd => gd.data.map(t => t.name)");
            Assert.Equal(runsWithAcc, traces.Order());
            Assert.Equal(3, await page.Locator("#compare-table thead th a").CountAsync());
        });
    }
}
