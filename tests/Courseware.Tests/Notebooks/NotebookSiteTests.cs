using System.Net;
using System.Text.Json.Nodes;
using Courseware.Cli.Grading;
using Courseware.Cli.Runner;
using Courseware.Notebooks;
using Courseware.Tests.Reproducibility;
using static Courseware.Tests.Runner.RunnerTestEnvironment;

namespace Courseware.Tests.Notebooks;

/// <summary>
/// The course site (`courseware render`): small notebooks with known outputs rendered to asserted HTML, hostile notebooks
/// (script in outputs and markdown, output folders that would replace inputs, malformed JSON), and the repository's
/// solutions rendered with no hidden check in sight.
/// </summary>
public sealed class NotebookSiteTests
{
    private static readonly NotebookSiteOptions Trusted = new() { TrustHtml = true };
    private static readonly NotebookSiteOptions Untrusted = new();

    /// <summary>A VS Code-shaped notebook: the given cells, C# by default.</summary>
    internal static JsonObject Notebook(params JsonObject[] cells) => new()
    {
        ["cells"] = new JsonArray(cells.Select(c => (JsonNode)c).ToArray()),
        ["metadata"] = NotebookDocument.VsCodeNotebookMetadata(),
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    };

    internal static JsonObject Markdown(string source) => new() { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = source };

    internal static JsonObject Code(string source, params JsonObject[] outputs) => new()
    {
        ["cell_type"] = "code",
        ["metadata"] = NotebookDocument.CodeCellMetadata("csharp"),
        ["source"] = NotebookDocument.SourceLines(source),
        ["execution_count"] = 1,
        ["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray()),
    };

    internal static JsonObject Stream(string text, string name = "stdout") => new() { ["output_type"] = "stream", ["name"] = name, ["text"] = NotebookDocument.SourceLines(text) };

    internal static JsonObject Display(string mime, string content) => new()
    {
        ["output_type"] = "display_data", ["metadata"] = new JsonObject(), ["data"] = new JsonObject { [mime] = content },
    };

    private static void ContainsAll(string html, params string[] fragments) => Assert.All(fragments, f => Assert.Contains(f, html));

    private static string Page(JsonObject notebook, NotebookSiteOptions options, string page = "lab.html") =>
        NotebookSite.RenderPage(new SiteNotebook(page, "/course/lab.ipynb", notebook), options);

    [Fact]
    public void Markdown_code_and_each_kind_of_output_render_as_expected_with_every_text_escaped()
    {
        var png = Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var notebook = Notebook(
            Markdown("# Drift & monitoring\n\nSome *emphasis*.\n\n## Two windows"),
            Code("Console.WriteLine(\"<b>R&D</b>\");", Stream("<b>R&D</b>\n"), Stream("careful\n", "stderr")),
            Code("#!value\nname,score", Display("text/plain", "a < b")),
            Code("throw new Exception(\"boom\");", new JsonObject
            {
                ["output_type"] = "error", ["ename"] = "System.Exception", ["evalue"] = "boom",
                ["traceback"] = new JsonArray("\u001b[31mSystem.Exception: boom\u001b[0m", "   at Submission#3"),
            }),
            Code("image", Display("image/png", png)),
            Markdown("## Two windows"));

        var html = Page(notebook, Trusted);

        ContainsAll(html,
            "<h1 id=\"drift-monitoring\">Drift &amp; monitoring</h1>",
            "<p>Some <em>emphasis</em>.</p>",
            "<h2 id=\"two-windows\">Two windows</h2>",
            "<h2 id=\"two-windows-2\">Two windows</h2>", // ids stay unique across cells
            "<title>Drift &amp; monitoring</title>",
            "<div class=\"cw-lang\">csharp</div><pre class=\"cw-source\"><code>Console.WriteLine(&quot;&lt;b&gt;R&amp;D&lt;/b&gt;&quot;);</code></pre>",
            "<pre class=\"cw-stream cw-stdout\">&lt;b&gt;R&amp;D&lt;/b&gt;\n</pre>",
            "<pre class=\"cw-stream cw-stderr\">careful\n</pre>",
            // A #!value cell shows its language and its data without the magic line.
            "<div class=\"cw-lang\">value</div><pre class=\"cw-source\"><code>name,score</code></pre>",
            "<pre class=\"cw-text\">a &lt; b</pre>",
            "<pre class=\"cw-error\">System.Exception: boom\n   at Submission#3</pre>", // ANSI colours removed
            $"<img alt=\"\" src=\"data:image/png;base64,{png}\">");
        Assert.DoesNotContain("<b>R&D</b>", html);
    }

    [Fact]
    public void A_chart_output_loses_its_embedded_plotly_js_and_the_page_loads_the_site_copy_once()
    {
        var chart = Chart.Lines([Series.Of("loss", [0, 1, 2], [0.9, 0.5, 0.4])], title: "loss");
        var output = PlotlyJs.ScriptTag() + chart.Fragment();
        var html = Page(Notebook(Code("chart", Display("text/html", output)), Code("again", Display("text/html", PlotlyJs.ScriptTag()))), Trusted, "week1/lab.html");

        Assert.DoesNotContain("* plotly.js v", html);
        Assert.Contains(chart.Fragment(), html);
        Assert.Equal(["../plotly.min.js"], System.Text.RegularExpressions.Regex.Matches(html, "<script src=\"([^\"]*)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("<link rel=\"stylesheet\" href=\"../site.css\">", html);
        Assert.Contains("<a href=\"../index.html\">Contents</a>", html);
    }

    [Fact]
    public void The_site_has_a_contents_page_one_page_per_notebook_one_stylesheet_and_one_plotly_js()
    {
        using var temp = new TempFolder();
        var notebooks = new[]
        {
            new SiteNotebook("a.html", Path.Combine(temp.Path, "a.ipynb"), Notebook(Markdown("# Lab A\n## Setup\n### Detail"), Markdown("## Exercises <1>"))),
            // An output's headings are shown but are not the notebook's title or sections.
            new SiteNotebook("b.html", Path.Combine(temp.Path, "b.ipynb"), Notebook(Code("1 + 1", Display("text/markdown", "# Output\n## Not a section")))),
        };
        var outDir = Path.Combine(temp.Path, "site");

        var files = NotebookSite.Write(notebooks, outDir, Untrusted with { Title = "MLOps" });

        Assert.Equal([".courseware-site", "a.html", "b.html", "index.html", "plotly.min.js", "site.css"], files);
        var plotly = File.ReadAllText(Path.Combine(outDir, "plotly.min.js"));
        Assert.Equal(1, plotly.Split(PlotlyJs.Source).Length - 1);
        Assert.InRange(plotly.Length - PlotlyJs.Source.Length, 1, 200); // the source and a short wrapper
        var index = File.ReadAllText(Path.Combine(outDir, "index.html"));
        Assert.Contains("<h1>MLOps</h1><ol class=\"cw-toc\"><li><a href=\"a.html\">Lab A</a><ul><li><a href=\"a.html#setup\">Setup</a></li>" +
                        "<li><a href=\"a.html#exercises-1\">Exercises &lt;1&gt;</a></li></ul></li><li><a href=\"b.html\">b</a></li></ol>", index);
        Assert.DoesNotContain("plotly.min.js", index);
        Assert.Contains("<nav class=\"cw-pager\"><a rel=\"next\" href=\"b.html\">b →</a></nav>", File.ReadAllText(Path.Combine(outDir, "a.html")));
        Assert.Contains("<nav class=\"cw-pager\"><a rel=\"prev\" href=\"a.html\">← Lab A</a></nav>", File.ReadAllText(Path.Combine(outDir, "b.html")));

        // A second render replaces the first: a page gone from the inputs is gone from the site.
        NotebookSite.Write(notebooks[..1], outDir, Untrusted);
        Assert.False(File.Exists(Path.Combine(outDir, "b.html")));
        Assert.Empty(Directory.GetDirectories(temp.Path, ".site.*"));
    }

    [Fact]
    public void Untrusted_html_runs_only_in_a_sandboxed_frame_and_markdown_script_is_text()
    {
        const string attack = "<img src=x onerror=\"parent.document.body.dataset.pwned=1\"><script>top.pwned=1</script>";
        var notebook = Notebook(
            Markdown("# Lab\n<script>alert('md')</script>\n\n[click](javascript:alert(1)) and [ok](https://example.org/a) and [rel](other.html#x)"),
            Code("html", Display("text/html", attack)));

        var html = Page(notebook, Untrusted);

        ContainsAll(html,
            "&lt;script&gt;alert('md')&lt;/script&gt;",
            "<a href=\"#\">click</a>",
            "<a href=\"https://example.org/a\">ok</a>",
            "<a href=\"other.html#x\">rel</a>",
            // The output's markup exists only HTML-escaped inside srcdoc of a frame with scripts but no same-origin access.
            "<iframe class=\"cw-frame\" sandbox=\"allow-scripts\" srcdoc=\"",
            WebUtility.HtmlEncode(attack));
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.DoesNotContain("<script>top.pwned", html);

        var trusted = Page(notebook, Trusted);
        Assert.Contains(attack, trusted);
        Assert.DoesNotContain("<iframe", trusted);
    }

    [Fact]
    public void A_malformed_notebook_is_named_with_the_json_path_of_the_bad_field()
    {
        var badText = Notebook(Markdown("# x"), Code("1", new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = 42 }));
        var e = Assert.Throws<InvalidDataException>(() => Page(badText, Trusted));
        Assert.Equal("/course/lab.ipynb: $.cells[1].outputs[0].text: expected a string or a list of strings", e.Message);

        var badImage = Notebook(Code("1", Display("image/png", "\"><script>alert(1)</script>")));
        e = Assert.Throws<InvalidDataException>(() => Page(badImage, Trusted));
        Assert.Equal("/course/lab.ipynb: $.cells[0].outputs[0].data[\"image/png\"]: expected base64 image data", e.Message);

        var badLine = Notebook(Code("1", new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = new JsonArray("a", 1) }));
        e = Assert.Throws<InvalidDataException>(() => Page(badLine, Trusted));
        Assert.Equal("/course/lab.ipynb: $.cells[0].outputs[0].text[1]: expected a string", e.Message);
    }

    [Fact]
    public void An_output_folder_that_is_holds_or_sits_inside_an_input_is_refused_and_nothing_is_touched()
    {
        using var temp = new TempFolder();
        var notebook = temp.Write("labs/lab.ipynb", Notebook(Markdown("# Lab")).ToJsonString());
        var other = temp.Write("mine/keep.txt", "mine");
        var link = Path.Combine(temp.Path, "link");
        Directory.CreateSymbolicLink(link, Path.Combine(temp.Path, "labs"));

        foreach (var (input, outDir) in new[]
        {
            (notebook, notebook),                                            // the input file itself
            (Path.Combine(temp.Path, "labs"), Path.Combine(temp.Path, "labs", "site")), // inside an input folder
            (notebook, temp.Path),                                           // a folder holding the input
            (Path.Combine(temp.Path, "labs"), Path.Combine(temp.Path, "mine", "..", "labs", "site")), // inside, spelled with ..
            (Path.Combine(temp.Path, "labs"), Path.Combine(link, "site")),    // inside, through a symbolic link
        })
        {
            var e = Assert.Throws<IOException>(() => CourseSite.Write([input], outDir, Untrusted));
            Assert.Contains("choose an output folder apart from the inputs", e.Message);
        }
        // A folder that is not an earlier site is never replaced.
        var refused = Assert.Throws<IOException>(() => CourseSite.Write([notebook], Path.GetDirectoryName(other)!, Untrusted));
        Assert.Contains("is not a site written by `courseware render`", refused.Message);
        Assert.Equal("mine", File.ReadAllText(other));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(Path.GetDirectoryName(other)!).Select(Path.GetFileName));
        // A page path from a library caller cannot leave the site.
        Assert.Throws<IOException>(() => NotebookSite.Write([new SiteNotebook("../escape.html", notebook, Notebook())], Path.Combine(temp.Path, "site"), Untrusted));
        Assert.False(File.Exists(Path.Combine(temp.Path, "escape.html")));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "site")));
    }

    [Fact]
    public void A_check_cell_shows_its_visible_checks_but_not_its_hidden_ones_nor_their_outputs()
    {
        using var temp = new TempFolder();
        var check = Code("Check(total == 6, \"the total\");\n// BEGIN HIDDEN CHECKS\nCheck(secretTotal == 6, \"hidden: the secret total\");\n// END HIDDEN CHECKS\ntotal",
            Stream("hidden: printed by a hidden check\n"), Display("text/plain", "6"));
        check["metadata"]![CellRole.Key] = new JsonObject { ["exercise"] = "ex1", ["points"] = 1 };
        var solution = Code("int Total()\n{\n    // BEGIN SOLUTION\n    return 1 + 2 + 3;\n    // END SOLUTION\n}", Display("text/plain", "ok"));
        var notes = Markdown("# Lab\nRead this.\n<!-- BEGIN INSTRUCTOR -->\nhidden: grade leniently\n<!-- END INSTRUCTOR -->\nThe end.");
        var input = temp.Write("solutions/lab.ipynb", Notebook(notes, solution, check).ToJsonString());

        CourseSite.Write([input], Path.Combine(temp.Path, "site"), Trusted);

        var html = File.ReadAllText(Path.Combine(temp.Path, "site", "lab.html"));
        Assert.DoesNotContain("hidden:", html);
        Assert.DoesNotContain("HIDDEN", html);
        Assert.Contains("Check(total == 6, &quot;the total&quot;);\ntotal</code>", html);
        Assert.Contains($"<p class=\"cw-note\">{WebUtility.HtmlEncode(CourseSite.HiddenOutputsNote)}</p>", html);
        Assert.Contains("<code>int Total()\n{\n    return 1 + 2 + 3;\n}</code>", html); // the worked solution, markers dropped
        Assert.Contains("<pre class=\"cw-text\">ok</pre>", html);
        Assert.Contains("<p>Read this.\nThe end.</p>", html);
    }

    [Fact]
    public void The_rendered_solutions_show_no_hidden_check_line()
    {
        using var temp = new TempFolder();
        var secrets = Release.SecretLines(RepoRoot, hiddenChecksOnly: true);
        Assert.True(secrets.Count > 100, $"expected the solutions' hidden checks, found {secrets.Count} lines");

        var files = CourseSite.Write([Path.Combine(RepoRoot, "solutions")], Path.Combine(temp.Path, "site"), Trusted);

        Assert.Equal(Directory.GetFiles(Path.Combine(RepoRoot, "solutions"), "*.ipynb").Length + 1, files.Count(f => f.EndsWith(".html")));
        var leaks = (from file in files.Where(f => f.EndsWith(".html"))
                     let text = File.ReadAllText(Path.Combine(temp.Path, "site", file))
                     from line in secrets
                     where text.Contains(WebUtility.HtmlEncode(line), StringComparison.Ordinal) || text.Contains(line, StringComparison.Ordinal)
                     select $"{file}: {line}").ToList();
        Assert.Empty(leaks);
    }

    [Fact]
    public void The_render_command_writes_a_site_and_exits_2_naming_the_problem()
    {
        using var temp = new TempFolder();
        temp.Write("run/lab.ipynb", Notebook(Markdown("# Lab")).ToJsonString());
        temp.Write("bad/lab.ipynb", "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\"}]}");

        var (code, output) = RunCourseware(["render", "run", "--out", "site"], temp.Path);
        Assert.True(code == 0, output);
        Assert.Contains("wrote 1 page to site (open site/index.html)", output.Replace("\n", ""));
        Assert.Contains("<h1 id=\"lab\">Lab</h1>", File.ReadAllText(Path.Combine(temp.Path, "site", "lab.html")));

        (code, output) = RunCourseware(["render", "run", "--out", "run/site"], temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("error: run/site: is, holds or is inside the input run: choose an output folder apart from the inputs", output.Replace("\n", ""));

        (code, output) = RunCourseware(["render", "bad", "--out", "site"], temp.Path);
        Assert.Equal(2, code);
        Assert.Contains($"{Path.Combine(temp.Path, "bad", "lab.ipynb")}: cell 0: missing 'source'", output.Replace("\n", ""));
        Assert.True(File.Exists(Path.Combine(temp.Path, "site", "lab.html")), "a failed render leaves the earlier site as it was");
    }
}
