using Courseware.Notebooks;

namespace Courseware.Serving;

/// <summary>How serving results look in a notebook (the results themselves are plain data).</summary>
internal static class ServingHtml
{
    [HtmlRenderer]
    public static string Ab(AbReport report) =>
        Html.Table(["version", "arm", "requests", "400", "500", "p50 ms", "p99 ms", "outcomes", "mean outcome"],
            report.Traffic.Select(t => new object?[] { t.Model, AbReport.ArmName(t.Arm), t.Requests, t.BadRequests, t.Errors, t.LatencyP50Ms, t.LatencyP99Ms, t.Outcomes.Count, t.OutcomeMean }),
            "A/B test: champion vs challenger")
        + $"<p>{Html.Escape(report.Summary)}</p>";
}
