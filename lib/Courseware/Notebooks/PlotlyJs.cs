using System.Net;

namespace Courseware.Notebooks;

/// <summary>
/// plotly.js (npm package plotly.js-dist-min, embedded in Courseware.dll at build time), so charts, reports and the
/// tracking UI work with no internet.
/// </summary>
public static class PlotlyJs
{
    const string ResourceName = "Courseware.web.plotly.min.js";
    static readonly Lazy<string> LazySource = new(ReadSource);
    static int _embeddedInThisProcess;

    /// <summary>The minified plotly.js source.</summary>
    public static string Source => LazySource.Value;

    /// <summary>The plotly.js version embedded (from its banner comment).</summary>
    public static string Version
    {
        get
        {
            var head = Source.AsSpan(0, Math.Min(200, Source.Length));
            var at = head.IndexOf("plotly.js v");
            if (at < 0) return "unknown";
            var rest = head[(at + "plotly.js v".Length)..];
            var end = rest.IndexOfAny(" \n\r*");
            return (end < 0 ? rest : rest[..end]).ToString();
        }
    }

    /// <summary>A script element that defines <c>window.Plotly</c>.</summary>
    public static string ScriptTag() => "<script type=\"text/javascript\">" + Source + "</script>";

    /// <summary>
    /// Wraps a chart fragment for a notebook output. The first fragment in a process carries plotly.js; every fragment
    /// waits (up to 30 s) for <c>window.Plotly</c> before drawing, because notebook front ends render outputs in one page
    /// but not always in order.
    /// </summary>
    public static string WithLoader(string fragment)
    {
        var include = Interlocked.Exchange(ref _embeddedInThisProcess, 1) == 0;
        return (include ? ScriptTag() : "") + DeferUntilPlotly(fragment);
    }

    /// <summary>A complete HTML document with plotly.js embedded once and the given body.</summary>
    public static string StandaloneDocument(string title, string body) =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + WebUtility.HtmlEncode(title) + "</title>" +
        ScriptTag() + "</head><body style=\"font-family:system-ui,sans-serif\">" + body + "</body></html>";

    // Plotly.NET's fragment calls its render function at once; delay that call until plotly.js is there.
    static string DeferUntilPlotly(string fragment)
    {
        const string marker = "renderPlotly_";
        var call = fragment.LastIndexOf(marker, StringComparison.Ordinal);
        var end = call < 0 ? -1 : fragment.IndexOf("();", call, StringComparison.Ordinal);
        if (end < 0) return fragment;
        var name = fragment[call..end];
        var deferred = $"(function wait(n){{ if (window.Plotly) {name}(); else if (n > 0) setTimeout(function(){{ wait(n - 1); }}, 50); }})(600);";
        return fragment[..call] + deferred + fragment[(end + 3)..];
    }

    static string ReadSource()
    {
        using var stream = typeof(PlotlyJs).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"plotly.js is not embedded in Courseware.dll (resource {ResourceName}); rebuild the library.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
