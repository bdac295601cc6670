using System.Text;
using System.Text.Json.Nodes;

namespace Courseware.Notebooks;

/// <summary>One notebook of a site: its page path in the site (relative, '/', ending in .html) and its nbformat 4 JSON.</summary>
/// <param name="Page">Where the page goes, e.g. <c>lab-4.3.1-mlflow-setup.html</c> or <c>week1/lab.html</c>.</param>
/// <param name="Source">The file it was read from; named in errors.</param>
/// <param name="Notebook">The notebook as nbformat 4 JSON (cells, outputs), already reduced to what readers may see.</param>
public sealed record SiteNotebook(string Page, string Source, JsonObject Notebook);

/// <summary>How a site treats what notebooks carry.</summary>
public sealed record NotebookSiteOptions
{
    /// <summary>The site's name, on the contents page.</summary>
    public string Title { get; init; } = "Course notebooks";

    /// <summary>
    /// Whether the notebooks' HTML (text/html outputs, raw HTML in markdown) is the course's own. Trusted HTML is put in
    /// the page as it is. Untrusted HTML (a learner's notebook; the default) runs in a sandboxed iframe with an opaque
    /// origin, so its scripts still draw charts but cannot reach the page, and raw HTML and script links in markdown are
    /// shown as text.
    /// </summary>
    public bool TrustHtml { get; init; }
}

/// <summary>
/// A static, offline HTML site of executed notebooks: a contents page (each notebook's title and sections), one page per
/// notebook with its markdown, code and outputs, one stylesheet and one copy of plotly.js that every chart uses (the
/// copies charts embed in their outputs are removed). Written atomically: built in a folder beside the target, then
/// renamed over it.
/// <code>NotebookSite.Write([new SiteNotebook("lab.html", path, json)], "out/site", new NotebookSiteOptions { TrustHtml = true });</code>
/// </summary>
public static class NotebookSite
{
    /// <summary>The site's files beside the pages.</summary>
    public const string IndexFile = "index.html", PlotlyFile = "plotly.min.js", StyleFile = "site.css";

    /// <summary>Cell metadata key for a line the site shows in place of outputs that were left out (saying why).</summary>
    public const string NoteKey = "courseware_site_note";

    /// <summary>A file in every site this writes: a folder holding it may be replaced by the next render.</summary>
    public const string MarkerFile = ".courseware-site";

    /// <summary>
    /// Writes the site to <paramref name="outDir"/>, replacing an earlier site there; returns the files written (relative, '/').
    /// Throws <see cref="InvalidDataException"/> naming the file and JSON path of a malformed notebook (nothing is written),
    /// <see cref="IOException"/> when <paramref name="outDir"/> holds anything but an earlier site or would hold a source.
    /// </summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<SiteNotebook> notebooks, string outDir, NotebookSiteOptions options)
    {
        outDir = Path.GetFullPath(outDir.TrimEnd('/', '\\'));
        if (File.Exists(outDir)) throw new IOException($"{outDir}: is a file (expected a folder for the site)");
        if (Directory.Exists(outDir) && !File.Exists(Path.Combine(outDir, MarkerFile)) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new IOException($"{outDir}: folder is not empty and is not a site written by `courseware render`: refusing to replace it");
        foreach (var notebook in notebooks)
        {
            var source = Path.GetFullPath(notebook.Source);
            if (source.StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal) || source == outDir)
                throw new IOException($"{outDir}: holds the input {source}: choose an output folder outside the inputs");
            if (!PagePathIsSafe(notebook.Page))
                throw new IOException($"{notebook.Source}: page path '{notebook.Page}' must be relative, inside the site, and end in .html");
        }

        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var entries = notebooks.Select(n => (Notebook: n, Page: NotebookPage.Render(n, options))).ToList();
        for (var i = 0; i < entries.Count; i++)
            files.Add(entries[i].Notebook.Page, entries[i].Page.ToHtml(Pager(entries, i)));
        files[IndexFile] = Index(entries, options);
        files[StyleFile] = Style;
        files[PlotlyFile] = PlotlyScript;
        files[MarkerFile] = "Written by `courseware render`; the next render replaces this folder.\n";

        AtomicFile.ReplaceFolder(outDir, "site", temp =>
        {
            foreach (var (relative, text) in files)
            {
                var target = Path.Combine(temp, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, text, new UTF8Encoding(false));
            }
        });
        return files.Keys.ToList();
    }

    /// <summary>The function in <see cref="PlotlyFile"/> whose body is plotly.js.</summary>
    internal const string PlotlyFunction = "cwPlotly";

    /// <summary>
    /// The site's one copy of plotly.js. Its source is the body of a function, called at once (it sets <c>window.Plotly</c>),
    /// so that a page can hand the same source to the sandboxed frames of untrusted outputs, which may not load files.
    /// </summary>
    internal static string PlotlyScript =>
        $"// plotly.js v{PlotlyJs.Version} for this site (see NotebookSite.PlotlyScript)\nfunction {PlotlyFunction}() {{\n{PlotlyJs.Source}\n}}\n{PlotlyFunction}();\n";

    /// <summary>The page of one notebook, as HTML (what <see cref="Write"/> puts at <see cref="SiteNotebook.Page"/>).</summary>
    public static string RenderPage(SiteNotebook notebook, NotebookSiteOptions options) => NotebookPage.Render(notebook, options).ToHtml();

    /// <summary>"../" once per folder level of a page, so its links reach the site's root.</summary>
    internal static string RootOf(string page) => string.Concat(Enumerable.Repeat("../", page.Count(c => c == '/')));

    private static bool PagePathIsSafe(string page) =>
        page.EndsWith(".html", StringComparison.Ordinal) && !Path.IsPathRooted(page) && !page.Contains('\\') &&
        page.Split('/').All(part => part.Length > 0 && part != "." && part != "..") && page != IndexFile;

    /// <summary>Links to the previous and next notebook, in the order of the contents.</summary>
    private static string Pager(IReadOnlyList<(SiteNotebook Notebook, NotebookPage Page)> entries, int at)
    {
        string Link(int to, string rel, string arrow) =>
            to < 0 || to >= entries.Count ? "" :
            $"<a rel=\"{rel}\" href=\"{Html.Escape(RootOf(entries[at].Notebook.Page) + entries[to].Notebook.Page)}\">" +
            (rel == "prev" ? arrow + " " + Html.Escape(entries[to].Page.Title) : Html.Escape(entries[to].Page.Title) + " " + arrow) + "</a>";
        return "<nav class=\"cw-pager\">" + Link(at - 1, "prev", "←") + Link(at + 1, "next", "→") + "</nav>";
    }

    private static string Index(IEnumerable<(SiteNotebook Notebook, NotebookPage Page)> entries, NotebookSiteOptions options)
    {
        var body = new StringBuilder();
        body.Append("<h1>").Append(Html.Escape(options.Title)).Append("</h1><ol class=\"cw-toc\">");
        foreach (var (notebook, page) in entries)
        {
            var href = Html.Escape(notebook.Page);
            body.Append("<li><a href=\"").Append(href).Append("\">").Append(Html.Escape(page.Title)).Append("</a>");
            var sections = page.Headings.Where(h => h.Level == 2).ToList();
            if (sections.Count > 0)
            {
                body.Append("<ul>");
                foreach (var h in sections)
                    body.Append("<li><a href=\"").Append(href).Append('#').Append(Html.Escape(h.Id)).Append("\">").Append(Html.Escape(h.Text)).Append("</a></li>");
                body.Append("</ul>");
            }
            body.Append("</li>");
        }
        body.Append("</ol>");
        return Document(options.Title, "", withPlotly: false, body.ToString());
    }

    /// <summary>A page of the site: stylesheet and (where charts may draw) plotly.js by reference, relative to <paramref name="root"/>.</summary>
    internal static string Document(string title, string root, bool withPlotly, string body, string script = "") =>
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
        "<title>" + Html.Escape(title) + "</title><link rel=\"stylesheet\" href=\"" + root + StyleFile + "\">" +
        (withPlotly ? "<script src=\"" + root + PlotlyFile + "\"></script>" : "") + script +
        "</head><body><main>" + body + "</main></body></html>\n";

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fff; }
        main { max-width: 1000px; margin: 0 auto; padding: 16px 24px 64px; }
        nav.cw-nav { font-size: 14px; margin-bottom: 8px; }
        nav.cw-pager { display: flex; justify-content: space-between; margin-top: 32px; padding-top: 12px; border-top: 1px solid #d8dde3; }
        nav.cw-pager a[rel="next"] { margin-left: auto; }
        .cw-toc > li { margin: 8px 0; } .cw-toc ul { font-size: 14px; }
        .cw-cell { margin: 12px 0; }
        .cw-code { border: 1px solid #d8dde3; border-radius: 6px; overflow: hidden; }
        .cw-lang { font: 11px monospace; color: #57606a; background: #f3f5f7; padding: 2px 8px; border-bottom: 1px solid #d8dde3; }
        .cw-source { margin: 0; padding: 8px 10px; background: #f6f8fa; overflow-x: auto; font-size: 13px; }
        .cw-outputs { padding: 4px 10px; border-top: 1px solid #d8dde3; overflow-x: auto; }
        .cw-outputs:empty { display: none; }
        .cw-stream, .cw-text { margin: 4px 0; font-size: 13px; white-space: pre-wrap; }
        .cw-stderr { color: #9a6700; }
        .cw-error { margin: 4px 0; font-size: 13px; white-space: pre-wrap; color: #b42318; background: #fff1f0; padding: 6px; }
        .cw-note { font-size: 12px; color: #57606a; font-style: italic; }
        iframe.cw-frame { width: 100%; height: 150px; border: 0; display: block; }
        .cw-outputs img { max-width: 100%; }
        table { border-collapse: collapse; } th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; }
        """;
}
