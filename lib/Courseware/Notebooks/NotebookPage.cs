using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Courseware.Notebooks;

/// <summary>A section heading of a notebook page: level 1–6, its text and the id the page gives it.</summary>
internal sealed record PageHeading(int Level, string Text, string Id);

/// <summary>One notebook rendered as a site page: markdown, code with its language, and outputs (every text escaped).</summary>
internal sealed partial class NotebookPage
{
    private readonly SiteNotebook _notebook;
    private readonly NotebookSiteOptions _options;
    private readonly string _root;
    private readonly MarkdownPipeline _markdown;
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly List<PageHeading> _headings = [];
    private bool _hasFrames;

    private NotebookPage(SiteNotebook notebook, NotebookSiteOptions options)
    {
        _notebook = notebook;
        _options = options;
        _root = NotebookSite.RootOf(notebook.Page);
        var pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseEmphasisExtras().UseAutoLinks().UseTaskLists();
        _markdown = (options.TrustHtml ? pipeline : pipeline.DisableHtml()).Build();
    }

    private string _body = "", _script = "";

    /// <summary>The first heading of the notebook, else the page's file name.</summary>
    public string Title { get; private set; } = "";

    public IReadOnlyList<PageHeading> Headings => _headings;

    /// <summary>The page as HTML; <paramref name="footer"/> (HTML) follows the cells.</summary>
    public string ToHtml(string footer = "") => NotebookSite.Document(Title, _root, withPlotly: true, _body + footer, _script);

    public static NotebookPage Render(SiteNotebook notebook, NotebookSiteOptions options)
    {
        var page = new NotebookPage(notebook, options);
        page.Build();
        return page;
    }

    private void Build()
    {
        if (_notebook.Notebook["cells"] is not JsonArray cells) throw Malformed("$.cells", "expected an array of cells");
        var body = new StringBuilder();
        body.Append("<nav class=\"cw-nav\"><a href=\"").Append(_root).Append(NotebookSite.IndexFile).Append("\">Contents</a></nav>");
        for (var i = 0; i < cells.Count; i++)
        {
            var path = $"$.cells[{i}]";
            if (cells[i] is not JsonObject cell) throw Malformed(path, "expected an object");
            var source = Text(cell["source"], path + ".source");
            switch ((string?)cell["cell_type"])
            {
                case "markdown":
                    body.Append("<div class=\"cw-cell cw-markdown\">").Append(Markdown(source, contents: true)).Append("</div>");
                    break;
                case "code":
                    Code(body, cell, source, path);
                    break;
                case "raw":
                    break; // nbconvert's raw cells target other formats; readers never see them
                default:
                    throw Malformed(path + ".cell_type", "expected code, markdown or raw");
            }
        }
        Title = _headings.FirstOrDefault()?.Text ?? Path.GetFileNameWithoutExtension(_notebook.Page);
        _body = body.ToString();
        _script = _hasFrames ? FrameHostScript : "";
    }

    /// <summary>Markdown as HTML; headings of markdown cells (<paramref name="contents"/>), not of outputs, make the title and contents.</summary>
    private string Markdown(string source, bool contents)
    {
        var document = Markdig.Markdown.Parse(source, _markdown);
        foreach (var heading in document.Descendants<HeadingBlock>())
        {
            var text = PlainText(heading.Inline);
            var id = UniqueId(text);
            heading.GetAttributes().Id = id;
            if (contents) _headings.Add(new PageHeading(heading.Level, text, id));
        }
        if (!_options.TrustHtml)
        {
            foreach (var link in document.Descendants<LinkInline>().Where(l => !SafeUrl(l.Url)))
                link.Url = "#";
            foreach (var link in document.Descendants<AutolinkInline>().Where(l => !SafeUrl(l.Url)))
                link.Url = "#";
        }
        return document.ToHtml(_markdown);
    }

    private void Code(StringBuilder body, JsonObject cell, string source, string path)
    {
        var (language, code) = LanguageOf(cell, source);
        body.Append("<div class=\"cw-cell cw-code\"><div class=\"cw-lang\">").Append(Notebooks.Html.Escape(language)).Append("</div>")
            .Append("<pre class=\"cw-source\"><code>").Append(Notebooks.Html.Escape(code)).Append("</code></pre><div class=\"cw-outputs\">");
        if (cell["metadata"]?[NotebookSite.NoteKey] is JsonValue note && note.TryGetValue<string>(out var noteText))
            body.Append("<p class=\"cw-note\">").Append(Notebooks.Html.Escape(noteText)).Append("</p>");
        if (cell["outputs"] is JsonArray outputs)
            for (var j = 0; j < outputs.Count; j++)
                Output(body, outputs[j] as JsonObject ?? throw Malformed($"{path}.outputs[{j}]", "expected an object"), $"{path}.outputs[{j}]");
        else if (cell["outputs"] is not null)
            throw Malformed(path + ".outputs", "expected an array");
        body.Append("</div></div>");
    }

    private void Output(StringBuilder body, JsonObject output, string path)
    {
        switch ((string?)output["output_type"])
        {
            case "stream":
                var name = (string?)output["name"] == "stderr" ? "cw-stderr" : "cw-stdout";
                body.Append("<pre class=\"cw-stream ").Append(name).Append("\">").Append(Notebooks.Html.Escape(Text(output["text"], path + ".text"))).Append("</pre>");
                break;
            case "error":
                var traceback = output["traceback"] is JsonArray lines ? string.Join("\n", lines.Select((l, k) => Text(l, $"{path}.traceback[{k}]"))) : "";
                var head = $"{Text(output["ename"], path + ".ename")}: {Text(output["evalue"], path + ".evalue")}";
                var shown = traceback.Length == 0 || traceback.Contains(head, StringComparison.Ordinal) ? traceback : head + "\n" + traceback;
                body.Append("<pre class=\"cw-error\">").Append(Notebooks.Html.Escape(Ansi().Replace(shown.Length == 0 ? head : shown, ""))).Append("</pre>");
                break;
            case "display_data" or "execute_result" or "update_display_data":
                if (output["data"] is not JsonObject data) throw Malformed(path + ".data", "expected an object of MIME type → content");
                Rich(body, data, path + ".data");
                break;
            default:
                throw Malformed(path + ".output_type", "expected stream, display_data, execute_result or error");
        }
    }

    // The richest form a browser shows safely, as Jupyter front ends choose it.
    private void Rich(StringBuilder body, JsonObject data, string path)
    {
        string Field(string mime) => Text(data[mime], $"{path}[\"{mime}\"]");
        if (data.ContainsKey("text/html")) HtmlOutput(body, Field("text/html"));
        else if (data.ContainsKey("image/png")) Image(body, "image/png", Field("image/png"), path);
        else if (data.ContainsKey("image/jpeg")) Image(body, "image/jpeg", Field("image/jpeg"), path);
        else if (data.ContainsKey("image/svg+xml"))
            // As an <img>, an SVG's scripts never run.
            body.Append("<img alt=\"\" src=\"data:image/svg+xml;base64,").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(Field("image/svg+xml")))).Append("\">");
        else if (data.ContainsKey("text/markdown")) body.Append(Markdown(Field("text/markdown"), contents: false));
        else if (data.ContainsKey("text/plain")) body.Append("<pre class=\"cw-text\">").Append(Notebooks.Html.Escape(Field("text/plain"))).Append("</pre>");
    }

    private void HtmlOutput(StringBuilder body, string html)
    {
        html = WithoutEmbeddedPlotly(html);
        if (_options.TrustHtml)
        {
            body.Append(html);
            return;
        }
        // Opaque origin (no allow-same-origin): the output's scripts run (charts draw) but cannot read or change the page.
        // The frame reports its height to the page, which only ever sets that frame's height from it.
        var document = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><base target=\"_blank\">" +
                       (html.Contains("Plotly", StringComparison.Ordinal) ? FramePlotlyScript : "") +
                       "<style>body{margin:0;font-family:system-ui,sans-serif;font-size:13px}</style></head><body>" + html +
                       "<script>(function(){function h(){parent.postMessage({cwFrameHeight:document.documentElement.scrollHeight},'*');}" +
                       "new ResizeObserver(h).observe(document.documentElement);addEventListener('load',h);h();})();</script></body></html>";
        body.Append("<iframe class=\"cw-frame\" sandbox=\"allow-scripts\" srcdoc=\"").Append(Notebooks.Html.Escape(document)).Append("\"></iframe>");
        _hasFrames = true;
    }

    // An opaque-origin frame may not load files, so it asks the page for plotly.js: the page answers with the source of
    // its one copy (NotebookSite.PlotlyScript), which the frame runs in its own origin.
    private const string FramePlotlyScript =
        "<script>addEventListener('message',function(e){var s=e.data&&e.data.cwPlotlySource;" +
        "if(e.source===parent&&typeof s==='string'&&!window.Plotly)(0,eval)('('+s+')')();});parent.postMessage({cwNeedPlotly:1},'*');</script>";

    // The page trusts nothing a frame says: a height (clamped) for that frame, and a request for plotly.js.
    private const string FrameHostScript =
        "<script>addEventListener('message',function(e){var d=e.data,f=null;if(!d)return;" +
        "document.querySelectorAll('iframe.cw-frame').forEach(function(x){if(x.contentWindow===e.source)f=x;});if(!f)return;" +
        "if(typeof d.cwFrameHeight==='number')f.style.height=Math.min(Math.max(d.cwFrameHeight,20),4000)+'px';" +
        "if(d.cwNeedPlotly&&!f.cwPlotlySent&&window." + NotebookSite.PlotlyFunction + "){f.cwPlotlySent=1;e.source.postMessage({cwPlotlySource:" + NotebookSite.PlotlyFunction + ".toString()},'*');}});</script>";

    /// <summary>
    /// The output without the copies of plotly.js that chart outputs embed (<see cref="PlotlyJs.WithLoader"/>): the site
    /// loads its one copy by reference and every chart waits for <c>window.Plotly</c>.
    /// </summary>
    internal static string WithoutEmbeddedPlotly(string html)
    {
        var at = 0;
        var sb = new StringBuilder();
        while (true)
        {
            var open = html.IndexOf("<script", at, StringComparison.OrdinalIgnoreCase);
            if (open < 0) break;
            var bodyStart = html.IndexOf('>', open);
            if (bodyStart < 0) break;
            var banner = html.AsSpan(bodyStart + 1, Math.Min(200, html.Length - bodyStart - 1));
            var close = html.IndexOf("</script>", bodyStart, StringComparison.OrdinalIgnoreCase);
            if (close < 0 || !banner.Contains("* plotly.js v", StringComparison.Ordinal))
            {
                sb.Append(html, at, bodyStart + 1 - at);
                at = bodyStart + 1;
                continue;
            }
            sb.Append(html, at, open - at);
            at = close + "</script>".Length;
        }
        return sb.Append(html, at, html.Length - at).ToString();
    }

    private void Image(StringBuilder body, string mime, string base64, string path)
    {
        var compact = base64.Replace("\n", "").Replace("\r", "");
        if (!Convert.TryFromBase64String(compact, new byte[compact.Length], out _))
            throw Malformed($"{path}[\"{mime}\"]", "expected base64 image data");
        body.Append("<img alt=\"\" src=\"data:").Append(mime).Append(";base64,").Append(compact).Append("\">");
    }

    /// <summary>The cell's language as a reader knows it (#!csharp, #!value…) and the code without that first line.</summary>
    private (string Language, string Code) LanguageOf(JsonObject cell, string source)
    {
        var firstLine = source.Split('\n', 2)[0].Trim();
        if (firstLine.StartsWith("#!", StringComparison.Ordinal) && firstLine.Length > 2 && !firstLine.Contains(' '))
            return (firstLine[2..], source.Contains('\n') ? source[(source.IndexOf('\n') + 1)..] : "");
        return (NotebookKernels.KernelOf(_notebook.Notebook, cell), source);
    }

    private string UniqueId(string text)
    {
        var slug = Slug().Replace(text.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length == 0) slug = "section";
        var id = slug;
        for (var n = 2; !_ids.Add(id); n++) id = $"{slug}-{n}";
        return id;
    }

    private static string PlainText(ContainerInline? inline)
    {
        var sb = new StringBuilder();
        foreach (var item in inline?.Descendants<Inline>() ?? [])
            switch (item)
            {
                case LiteralInline literal: sb.Append(literal.Content); break;
                case CodeInline code: sb.Append(code.Content); break;
            }
        return sb.ToString().Trim();
    }

    private static bool SafeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url)) return true;
        var colon = url.IndexOf(':');
        var slash = url.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (slash >= 0 && slash < colon)) return true; // relative
        var scheme = url[..colon].Trim().ToLowerInvariant();
        return scheme is "http" or "https" or "mailto";
    }

    /// <summary>nbformat text: a string or a list of strings (lines).</summary>
    private string Text(JsonNode? node, string path) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Concat(a.Select((l, k) => l is JsonValue lv && lv.TryGetValue<string>(out var line) ? line : throw Malformed($"{path}[{k}]", "expected a string"))),
        _ => throw Malformed(path, "expected a string or a list of strings"),
    };

    private InvalidDataException Malformed(string path, string problem) => new($"{_notebook.Source}: {path}: {problem}");

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"[^\p{L}\p{Nd}]+")]
    private static partial Regex Slug();
}

/// <summary>Which kernel a cell runs on, read from the metadata VS Code Polyglot Notebooks and dotnet-repl write.</summary>
public static class NotebookKernels
{
    /// <summary>The notebook's default kernel (VS Code's kernelInfo, dotnet-repl's shape without it), else csharp.</summary>
    public static string DefaultOf(JsonObject notebook) =>
        (string?)notebook["metadata"]?["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]
        ?? (string?)notebook["metadata"]?["polyglot_notebook"]?["defaultKernelName"]
        ?? "csharp";

    /// <summary>The kernel a code cell targets: its metadata, else the notebook's default.</summary>
    public static string KernelOf(JsonObject notebook, JsonObject cell) =>
        (string?)cell["metadata"]?["polyglot_notebook"]?["kernelName"]
        ?? (string?)cell["metadata"]?["dotnet_interactive"]?["language"]
        ?? DefaultOf(notebook);
}
