using System.Diagnostics;
using System.Globalization;
using Courseware.Tests.Tracking;
using Courseware.Tracking;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Courseware.Tests.Server;

/// <summary>
/// A server over a 100,000-run experiment (3 metrics, 4 params, 1 tag each), seeded once per test class by
/// <see cref="SyntheticRuns.SeedSqliteAsync"/>; <see cref="Runs"/> is the generated data, for expected orders.
/// </summary>
public sealed class HundredThousandRunsServer : IAsyncLifetime
{
    public const int Count = 100_000;

    private readonly TempFolder _folder = new();

    internal LiveServer Server { get; private set; } = null!;

    public string ExperimentId { get; private set; } = "";

    public IReadOnlyList<SyntheticRun> Runs { get; } = SyntheticRuns.Generate(Count).ToList();

    public TimeSpan SeedTime { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        ExperimentId = await SyntheticRuns.SeedSqliteAsync(_folder.Path, "hundred-thousand", Count);
        SeedTime = clock.Elapsed;
        Server = await LiveServer.StartAsync(openStore: _ => SqliteTrackingStore.Open(_folder.Path));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>
/// The runs table stays responsive at 100,000 runs: open, scroll to the end of the loaded page, page forward and back
/// with the keyset tokens, sort by a metric column descending then ascending and page the sorted rows. Expected rows
/// come from the generated data (LINQ), not from the store. Each interaction's time is printed (a benchmark figure,
/// not asserted).
/// </summary>
public sealed class WebUiScaleTests(BrowserFixture browser, HundredThousandRunsServer seeded, ITestOutputHelper output)
    : IClassFixture<BrowserFixture>, IClassFixture<HundredThousandRunsServer>
{
    private const int PageSize = 100;

    private async Task TimedAsync(string what, Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        output.WriteLine($"{what}: {clock.Elapsed.TotalMilliseconds:N0} ms");
    }

    private static IEnumerable<string> Names(IEnumerable<SyntheticRun> runs) => runs.Select(r => r.Name);

    [Fact]
    public async Task Runs_table_of_a_100k_run_experiment_scrolls_pages_and_sorts_by_a_metric()
    {
        output.WriteLine($"seeded {HundredThousandRunsServer.Count:N0} runs in {seeded.SeedTime.TotalSeconds:N1} s");
        var newestFirst = seeded.Runs.OrderByDescending(r => r.StartTime).ToList();
        var lossDescending = seeded.Runs.OrderByDescending(r => r.Loss).ToList();
        var lossAscending = seeded.Runs.OrderBy(r => r.Loss).ToList();

        await UiPage.RunAsync(browser.Browser, async page =>
        {
            await TimedAsync("open the experiment (first page, newest first)", async () =>
            {
                await UiPage.GoAsync(page, seeded.Server.Url, $"#/experiments/{seeded.ExperimentId}");
                await page.WaitForSelectorAsync("#runs-table");
            });
            Assert.Equal(Names(newestFirst.Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 1–100 of 100,000", await PageInfoAsync(page));

            // Scroll the table to its last loaded row; it is in view and it is the 100th newest run.
            await TimedAsync("scroll to the last loaded row", async () =>
            {
                await page.Mouse.MoveAsync(700, 500);
                await page.Mouse.WheelAsync(0, 20_000);
                await page.WaitForFunctionAsync("() => { const rows = document.querySelectorAll('#runs-table tbody tr'); " +
                                                "const r = rows[rows.length - 1].getBoundingClientRect(); return r.bottom <= window.innerHeight && r.top >= 0; }");
            });
            Assert.Equal(newestFirst[PageSize - 1].Name, await page.Locator("#runs-table tbody tr a.run-link").Last.TextContentAsync());

            // Page forward three times and back once with the keyset tokens.
            for (var p = 1; p <= 3; p++)
                await TimedAsync($"next page ({p + 1})", () => UiPage.ReloadedAsync(page, () => page.ClickAsync("#next")));
            Assert.Equal(Names(newestFirst.Skip(3 * PageSize).Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 301–400 of 100,000", await PageInfoAsync(page));
            await TimedAsync("previous page", () => UiPage.ReloadedAsync(page, () => page.ClickAsync("#prev")));
            Assert.Equal(Names(newestFirst.Skip(2 * PageSize).Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 201–300 of 100,000", await PageInfoAsync(page));

            // Sort by loss, descending: the run with the largest loss first, then the next page of the sorted rows.
            await TimedAsync("sort by metrics.loss descending", () => UiPage.ReloadedAsync(page, () => page.ClickAsync("th[data-order='metrics.loss']")));
            Assert.Contains("sorted-desc", await page.GetAttributeAsync("th[data-order='metrics.loss']", "class"));
            Assert.Equal(lossDescending[0].Name, await page.Locator("#runs-table a.run-link").First.TextContentAsync());
            Assert.Equal(Names(lossDescending.Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 1–100 of 100,000", await PageInfoAsync(page));
            await TimedAsync("next page of the sorted rows", () => UiPage.ReloadedAsync(page, () => page.ClickAsync("#next")));
            Assert.Equal(Names(lossDescending.Skip(PageSize).Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 101–200 of 100,000", await PageInfoAsync(page));

            // Ascending: the run with the smallest loss first.
            await TimedAsync("sort by metrics.loss ascending", () => UiPage.ReloadedAsync(page, () => page.ClickAsync("th[data-order='metrics.loss']")));
            Assert.Contains("sorted-asc", await page.GetAttributeAsync("th[data-order='metrics.loss']", "class"));
            Assert.Equal(lossAscending[0].Name, await page.Locator("#runs-table a.run-link").First.TextContentAsync());
            Assert.Equal(Names(lossAscending.Take(PageSize)), await UiPage.RowNamesAsync(page));

            // A filter keeps the order and counts its own total.
            var adam = lossAscending.Where(r => r.Optimizer == "adam").ToList();
            await page.FillAsync("#filter", "params.optimizer = 'adam'");
            await TimedAsync("filter params.optimizer = 'adam' (sorted by loss, counted)", () => UiPage.ReloadedAsync(page, () => page.PressAsync("#filter", "Enter")));
            Assert.Equal(Names(adam.Take(PageSize)), await UiPage.RowNamesAsync(page));
            Assert.Equal("runs 1–100 of " + adam.Count.ToString("N0", CultureInfo.InvariantCulture), await PageInfoAsync(page));
        }, nameof(Runs_table_of_a_100k_run_experiment_scrolls_pages_and_sorts_by_a_metric));
    }

    private static async Task<string> PageInfoAsync(IPage page) => (await page.Locator("#page-info").TextContentAsync())!;
}
