using Courseware.Notebooks;

namespace Courseware.Tracking;

/// <summary>How tracking entities look in a notebook (the entities themselves are plain data).</summary>
internal static class TrackingHtml
{
    /// <summary>One table: params, latest metrics (with their step) and the user's tags (system tags left out).</summary>
    [HtmlRenderer]
    public static string Run(Run run)
    {
        var rows = run.Data.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new object?[] { "params." + p.Key, p.Value, null })
            .Concat(run.Data.Metrics.Values.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new object?[] { "metrics." + m.Key, m.Value, m.Step }))
            .Concat(run.Data.Tags.Where(t => !SystemTags.IsSystem(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new object?[] { "tags." + t.Key, t.Value, null }));
        return Html.Table(["key", "value", "step"], rows, run.ToString());
    }
}
