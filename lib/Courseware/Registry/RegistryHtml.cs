using System.Globalization;
using System.Text;
using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Registry;

/// <summary>How registry results and views look in a notebook and in the web UI (the objects themselves are plain data).</summary>
internal static class RegistryHtml
{
    [HtmlRenderer]
    public static string Decision(PromotionDecision d) =>
        $"<div style=\"font-family:system-ui,sans-serif\"><b style=\"color:{(d.Approved ? "#1a7f37" : "#cf222e")}\">{(d.Approved ? "APPROVED" : "REFUSED")}</b> " +
        Html.Escape($"{d.Model} v{d.Candidate} {(d.Incumbent is null ? $"(no {d.Target} yet)" : $"vs {d.Target} v{d.Incumbent}")}{(d.Applied ? ", alias moved" : "")}") +
        Html.Table(["criterion", "passed", "evidence"], d.Checks.Select(c => new object?[] { c.Criterion, c.Passed ? "✓" : "✗", c.Detail })) + "</div>";

    [HtmlRenderer]
    public static string Page<T>(RegistryPage<T> page)
    {
        var caption = page.ToString();
        return page switch
        {
            RegistryPage<RegisteredModel> models => Html.Table(["name", "aliases", "tags", "description"], models.Select(m => new object?[]
            {
                m.Name, string.Join(", ", m.Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} → v{a.Value}")),
                string.Join(", ", m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")), m.Description,
            }), caption),
            RegistryPage<ModelVersion> versions => Html.Table(["model", "version", "aliases", "flavour", "status", "run", "description"], versions.Select(v => new object?[]
            {
                v.Name, v.Version, string.Join(", ", v.Aliases), v.Flavor.ToString(), v.Status, v.RunId, v.Description,
            }), caption),
            _ => Html.Table(["item"], page.Select(i => new object?[] { i }), caption),
        };
    }

    [HtmlRenderer]
    public static string Audit(AuditLog log) => AuditTable(log.Entries, $"Audit log of {log.Name}");

    [HtmlRenderer]
    public static string Lineage(LineageView view)
    {
        var version = view.Version;
        var l = version.Lineage;
        var sb = new StringBuilder("<div class=\"cw-lineage\" style=\"font-family:system-ui,sans-serif\">");
        sb.Append("<h4 style=\"margin:4px 0\">Lineage of ").Append(Html.Escape(version.Uri)).Append("</h4>");
        sb.Append(Html.Table(["data set", "SHA-256", "path"], l.Datasets.Select(d => new object?[] { d.Name, d.Sha256[..Math.Min(16, d.Sha256.Length)] + "…", d.Path }), "1. Data"));
        sb.Append(Html.Table(["run", "experiment", "code commit", "status"],
            [[l.RunId ?? "(none)", l.ExperimentId, l.CodeCommit ?? "(not recorded)", view.Run?.Info.Status.ToWire() ?? (l.RunId is null ? "" : "run deleted")]], "2. Run"));
        sb.Append(Html.Table(["param", "value"], l.Params.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new object?[] { p.Key, p.Value })));
        sb.Append(Html.Table(["metric", "value"], l.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new object?[] { p.Key, p.Value })));
        sb.Append(Html.Table(["version", "flavour", "signature", "source", "aliases"],
            [[version.Version, version.Flavor.ToString(), version.Signature.ToString(), version.Source, string.Join(", ", version.Aliases)]], "3. Version"));
        sb.Append(AuditTable(view.AliasChanges, "4. Alias changes"));
        return sb.Append("</div>").ToString();
    }

    [HtmlRenderer]
    public static string Versions(VersionComparison comparison) =>
        Html.Table(["", .. comparison.Versions.Select(v => $"{v.Name} v{v.Version}")], comparison.Rows.Select(r => new object?[] { r.Field }.Concat(r.Values)));

    [HtmlRenderer]
    public static string Card(ModelCard card)
    {
        var sb = new StringBuilder("<div class=\"cw-model-card\" style=\"font-family:system-ui,sans-serif;max-width:60em\">");
        sb.Append("<h4>Model card: ").Append(Html.Escape($"{card.ModelName} v{card.Version} (revision {card.Revision})")).Append("</h4>");
        foreach (var (title, text) in new[] { ("Model details", card.Details), ("Intended use", card.IntendedUse), ("Training data", card.TrainingData), ("Evaluation data", card.EvaluationData) })
            sb.Append("<b>").Append(title).Append("</b><p>").Append(Html.Escape(text)).Append("</p>");
        sb.Append(Html.Table(["metric", "value", "low", "high", "data"], card.Metrics.Select(m => new object?[] { m.Name, m.Value, m.Low, m.High, m.Dataset }), "Metrics"));
        foreach (var (title, text) in new[] { ("Limitations", card.Limitations), ("Ethical considerations", card.EthicalConsiderations) })
            sb.Append("<b>").Append(title).Append("</b><p>").Append(Html.Escape(text)).Append("</p>");
        return sb.Append("</div>").ToString();
    }

    private static string AuditTable(IEnumerable<AuditEntry> entries, string caption) => Html.Table(["#", "time (UTC)", "action", "alias", "from", "to", "by", "reason"],
        entries.Select(e => new object?[]
        {
            e.Sequence, DateTimeOffset.FromUnixTimeMilliseconds(e.Time).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            e.Action, e.Alias, e.OldVersion, e.NewVersion, e.Actor, e.Reason,
        }), caption);
}
