using System.Runtime.CompilerServices;
using Courseware.Registry;
using Courseware.Tracking;
using Microsoft.Playwright;

namespace Courseware.Tests.Server;

/// <summary>
/// The registry pages in a real browser (Debian's chromium) against a real server: the models list with an MLflow
/// filter, a model's versions, aliases, tags and audit log, a version's lineage and its model card rendered from
/// Markdown — with hostile strings in the description, a tag and the card shown as text, never run.
/// </summary>
public sealed class RegistryUiTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private LiveServer _server = null!;

    public async Task InitializeAsync() => _server = await LiveServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private const string Img = "<img src=x onerror=alert(1)>";
    private const string Script = "<script>alert(2)</script>";

    // sha256 of "a,b\n1,2\n", from coreutils: printf 'a,b\n1,2\n' | sha256sum
    private const string DataSha256 = "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470";

    private async Task<string> SeedAsync()
    {
        var registry = new ModelRegistry(_server.Store, "ada");
        var run = await _server.Store.CreateRunAsync("0", "train", 1_000, "ada");
        await _server.Store.LogBatchAsync(run.RunId, [new Metric("accuracy", 0.93, 2, 0)], [new Param("lr", "0.1")], [new RunTag(SystemTags.GitCommit, "abc123")]);
        var data = Path.Combine(_server.Folder, "train.csv");
        File.WriteAllText(data, "a,b\n1,2\n");
        var model = Path.Combine(_server.Folder, "model.onnx");
        File.WriteAllText(model, "weights");
        var signature = new ModelSignature([new TensorSpec("x", "float32", [-1, 4])], [new TensorSpec("y", "float32", [-1, 3])]);
        var v1 = await registry.RegisterAsync("penguins", model, ModelFlavor.Onnx, signature, run.RunId, [DatasetReference.FromFile(data)]);
        await registry.RegisterAsync("penguins", model, ModelFlavor.Onnx, signature);
        await registry.UpdateModelAsync("penguins", Img);
        await registry.SetModelTagAsync("penguins", "note", Script);
        await registry.SetAliasAsync("penguins", "champion", 1, "first");
        await registry.SetAliasAsync("penguins", "champion", 2, "better " + Img);
        var card = ModelCard.Generate(v1, [new CardMetric("accuracy", 0.9, 0.85, 0.95, Dataset: "test")]) with
        {
            IntendedUse = $"**Teaching** only. {Img} [click](javascript:alert(4)) [docs](https://example.org/x)",
        };
        await registry.SaveModelCardAsync(card);
        await registry.CreateModelAsync("zebra", "stripes", new Dictionary<string, string> { ["team"] = "stripes" });
        return run.RunId;
    }

    private async Task InPageAsync(Func<IPage, Task> body, [CallerMemberName] string test = "")
    {
        await using var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var problems = new List<string>();
        page.PageError += (_, e) => problems.Add(e);
        page.Dialog += async (_, d) => { problems.Add("dialog: " + d.Message); await d.DismissAsync(); };
        try
        {
            await body(page);
            Assert.Empty(problems);
        }
        catch
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "ui-failures");
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, test + ".png"), FullPage = true });
            throw;
        }
    }

    private async Task GoAsync(IPage page, string hash)
    {
        await page.GotoAsync(_server.Url + "/" + hash);
        await page.WaitForSelectorAsync($"body[data-ready='{hash.TrimStart('#').Split('?')[0]}']");
    }

    [Fact]
    public async Task Models_versions_lineage_and_the_model_card_show_hostile_strings_as_text()
    {
        var runId = await SeedAsync();
        await InPageAsync(async page =>
        {
            await GoAsync(page, "#/models");
            await page.WaitForSelectorAsync("#models-table");
            Assert.Equal(["penguins", "zebra"], await page.Locator("#models-table a.model-link").AllTextContentsAsync());
            Assert.Contains(Img, await page.Locator("#models-table").InnerTextAsync());
            Assert.Contains("champion → v2", await page.Locator("#models-table").InnerTextAsync());

            await page.FillAsync("#model-filter", "tags.team = 'stripes'");
            await page.PressAsync("#model-filter", "Enter");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#models-table a.model-link').length === 1");
            Assert.Equal(["zebra"], await page.Locator("#models-table a.model-link").AllTextContentsAsync());

            await GoAsync(page, "#/models/penguins");
            Assert.Equal(Img, await page.Locator("#model-description").TextContentAsync());
            Assert.Contains(Script, await page.Locator("#model-tags").InnerTextAsync());
            Assert.Equal(["champion", "v2"], await page.Locator("#aliases tbody td").AllTextContentsAsync());
            Assert.Equal(["v2", "v1"], await page.Locator("#versions-table a.version-link").AllTextContentsAsync());
            // The card save is audited too (revision 1).
            Assert.Equal(["first", "better " + Img, "revision 1."], await page.Locator("#audit-log tbody tr td:nth-child(8)").AllTextContentsAsync());
            Assert.Equal(runId, await page.Locator("#versions-table tr[data-version='1'] td:nth-child(5)").TextContentAsync());

            await page.ClickAsync("#versions-table a.version-link:text('v1')");
            await page.WaitForSelectorAsync("body[data-ready='/models/penguins/versions/1']");
            Assert.Equal($"#/runs/{runId}", await page.GetAttributeAsync("#lineage-run", "href"));
            Assert.Equal(["train.csv", DataSha256], (await page.Locator("#datasets tbody td").AllTextContentsAsync()).Take(2));
            Assert.Contains("abc123", await page.Locator("#lineage").InnerTextAsync());
            // v1 lost champion to v2: both alias changes involve it.
            Assert.Equal(2, await page.Locator("#alias-changes tbody tr").CountAsync());

            // The card: Markdown structure rendered, HTML and script links left as text.
            var card = page.Locator("#model-card");
            Assert.Equal("Teaching", await card.Locator("strong").First.TextContentAsync());
            Assert.Equal("https://example.org/x", await card.Locator("a").GetAttributeAsync("href"));
            Assert.Equal(1, await card.Locator("a").CountAsync());
            var text = await card.InnerTextAsync();
            Assert.Contains(Img, text);
            Assert.Contains("[click](javascript:alert(4))", text);
            Assert.Equal(["metric", "value", "interval", "data"], await card.Locator("table th").AllTextContentsAsync());

            // Nothing was turned into markup: only our own script files, no image anywhere in the view.
            Assert.Equal(0, await page.Locator("script:not([src^='/static/'])").CountAsync());
            Assert.Equal(0, await page.Locator("#view img").CountAsync());
        });
    }

    [Fact]
    public async Task A_bad_filter_shows_the_parsers_message_and_a_missing_model_an_error()
    {
        await SeedAsync();
        await InPageAsync(async page =>
        {
            await GoAsync(page, "#/models?filter=" + Uri.EscapeDataString("name = penguins"));
            var error = await page.Locator("#models-results .error").TextContentAsync();
            Assert.Contains("INVALID_PARAMETER_VALUE", error);
            Assert.Contains("column 8", error);

            await GoAsync(page, "#/models/nope");
            Assert.Contains("RESOURCE_DOES_NOT_EXIST", await page.Locator("#view .error").TextContentAsync());
        });
    }
}
