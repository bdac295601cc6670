using Courseware.Sweeps;
using Courseware.Tracking;
using Microsoft.Playwright;

namespace Courseware.Tests.Server;

/// <summary>
/// The sweep pages of the web UI in a real browser: the sweeps list, and a sweep's state, trials, best run, parallel
/// coordinates and metric-over-trials charts (values checked against the training function), links to the runs,
/// and a sweep name and parameter value holding markup shown as text.
/// </summary>
public sealed class SweepUiTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private LiveServer _server = null!;

    public async Task InitializeAsync() => _server = await LiveServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Hostile = "<img src=x onerror=alert(1)>";

    [Fact]
    public async Task Sweep_pages_show_state_trials_best_run_and_charts_and_escape_user_strings()
    {
        await using var tracker = Tracker.Open(_server.Store);
        var yaml = SweepApiTests.Grid.Replace("name: grid-demo", "name: \"<script>alert(2)</script>\"").Replace("[adam, sgd]", $"[adam, \"{Hostile}\"]");
        var sweep = Sweep.Create(tracker, yaml, experiment: "demo", seed: 1);
        // Hostile values are the "sgd" arm: train with the same losses as the API test.
        sweep.RunAgent(null, trial =>
        {
            for (var epoch = 0; epoch < 3; epoch++)
                trial.Log(epoch, new { loss = SweepApiTests.Loss(trial.Get<double>("lr"), trial.Get<string>("opt") == "adam" ? "adam" : "sgd", epoch) });
        });
        var trials = sweep.GetTrials();
        var best = sweep.GetBest()!;

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        var dialogs = new List<string>();
        page.Dialog += async (_, d) => { dialogs.Add(d.Message); await d.DismissAsync(); };
        try
        {
            await page.GotoAsync(_server.Url + "/");
            await page.WaitForSelectorAsync("body[data-ready]");
            await page.ClickAsync("#sweeps-nav");
            await page.WaitForSelectorAsync("#sweeps-table");
            Assert.Equal(["sweep-<script>alert(2)</script>"], await page.Locator("#sweeps-table a.sweep-link").AllTextContentsAsync());
            Assert.StartsWith("finished", await page.Locator("#sweeps-table tbody td:nth-child(2)").TextContentAsync());

            await page.ClickAsync("#sweeps-table a.sweep-link");
            await page.WaitForSelectorAsync("#sweep-parallel .main-svg");
            Assert.Equal("sweep-<script>alert(2)</script>", await page.Locator("#sweep-name").TextContentAsync());
            Assert.StartsWith("finished (every configuration has been run)", await page.Locator("#sweep-state").TextContentAsync());
            Assert.Equal(trials.Select(t => t.Name), await page.Locator("#trials-table a.trial-link").AllTextContentsAsync());
            Assert.Contains(Hostile, await page.Locator("#trials-table").InnerTextAsync());
            Assert.Equal(best.Name, await page.Locator("#sweep-best a.best-link").TextContentAsync());
            Assert.Contains("method: grid", await page.Locator("#sweep-yaml").TextContentAsync());

            // Parallel coordinates: one line per trial; the opt axis labels the hostile value as text.
            var labels = await page.EvalOnSelectorAsync<string[]>("#sweep-parallel", "gd => gd.data[0].dimensions.map(d => d.label)");
            Assert.Equal(["lr", "opt", "state", "loss"], labels);
            var ticks = await page.EvalOnSelectorAsync<string[]>("#sweep-parallel", "gd => gd.data[0].dimensions[1].ticktext");
            Assert.Equal(["adam", Hostile], ticks);
            var values = await page.EvalOnSelectorAsync<double[]>("#sweep-parallel", "gd => gd.data[0].dimensions[3].values");
            Assert.Equal(trials.Select(t => t.Objective(MetricGoal.Minimize)!.Value), values);

            // Metric over trials: each trial's value and the running best.
            var best2 = await page.EvalOnSelectorAsync<double[]>("#sweep-best-so-far", "gd => gd.data[1].y");
            var running = new List<double>();
            foreach (var v in values) running.Add(running.Count == 0 ? v : Math.Min(v, running[^1]));
            Assert.Equal(running, best2);

            // Metric vs each parameter: every trial's value at its lr.
            await page.WaitForSelectorAsync("#sweep-versus [data-parameter='lr'] .main-svg");
            var versus = await page.EvalOnSelectorAsync<double[]>("#sweep-versus [data-parameter='lr']", "gd => gd.data.flatMap(t => t.y)");
            Assert.Equal(values.Order(), versus.Order());
            // Importance: one row per feature, the hostile optimizer value among them as text.
            Assert.Equal(new[] { "lr", "opt=adam", $"opt={Hostile}" }.Order(StringComparer.Ordinal), (await page.Locator("#sweep-importance tbody td:first-child").AllTextContentsAsync()).Order(StringComparer.Ordinal));

            // No markup was created from the strings, and no script ran.
            Assert.Equal(0, await page.Locator("#view img").CountAsync());
            Assert.Equal(0, await page.Locator("#view script").CountAsync());
            Assert.Empty(dialogs);

            // A sweep warm-started from the first one's experiment: its trials used, its own run skipped (the name as text).
            var warm = Sweep.Create(tracker, yaml, experiment: "demo-warm", warmStart: WarmStart.From("demo"));
            await page.GotoAsync($"{_server.Url}/#/sweeps/{warm.Id}");
            await page.WaitForSelectorAsync("#warm-start-skipped");
            Assert.Contains($"{trials.Count} earlier run(s) from demo seeded the search; 1 skipped.", await page.Locator("#warm-start").InnerTextAsync());
            Assert.Equal([sweep.Name], await page.Locator("#warm-start-skipped tbody a").AllTextContentsAsync());
            Assert.Equal(trials.Select(t => t.Name), await page.Locator("#warm-start-used tbody a").AllTextContentsAsync());
            await page.GotoAsync($"{_server.Url}/#/sweeps/{sweep.Id}");
            await page.WaitForSelectorAsync("#sweep-best a.best-link");

            // The best run's link opens its run page.
            await page.ClickAsync("#sweep-best a.best-link");
            await page.WaitForFunctionAsync("() => document.getElementById('run-name') !== null");
            Assert.Equal(best.Name, await page.Locator("#run-name").TextContentAsync());
            Assert.Empty(errors);
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "ui-failures");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "sweeps.png"), FullPage = true });
            await File.WriteAllTextAsync(Path.Combine(folder, "sweeps.html"), await page.ContentAsync());
            throw;
        }
    }
}
