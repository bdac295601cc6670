using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Courseware.Cli.Runner;

namespace Courseware.Cli.Grading;

/// <summary>
/// A learner's offline feedback page for one lab: the total, each exercise's points, then the executed notebook's cells
/// with every check cell showing its exercise's points and its own failure. Everything the learner or the kernel wrote
/// is HTML-escaped (their HTML outputs are shown as text); images are inline data URIs; a Content-Security-Policy
/// forbids scripts and any network access.
/// </summary>
public static partial class Feedback
{
    /// <summary>The page for <paramref name="entry"/>; <paramref name="executedNotebook"/> is the graded notebook when one was written.</summary>
    public static string Html(GradebookEntry entry, string? executedNotebook)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
          .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\n")
          .Append("<title>").Append(E($"{entry.Lab} — {entry.Learner}")).Append("</title>\n<style>")
          .Append("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}")
          .Append("pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}.cell{border-left:3px solid #ddd;margin:1rem 0;padding-left:.8rem}")
          .Append(".check{border-color:#36c}.ok{color:#176f2c}.fail{color:#b42318}.err{background:#fdecea}.md{white-space:pre-wrap}")
          .Append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}</style></head><body>\n");
        sb.Append("<h1>").Append(E(entry.Lab)).Append("</h1>\n<p>Learner: <b>").Append(E(entry.Learner)).Append("</b> · submitted ")
          .Append(E(entry.SubmittedAt)).Append(entry.Late ? " · <b class=\"fail\">late</b>" : "").Append(" · graded ").Append(E(entry.GradedAt)).Append("</p>\n");
        sb.Append("<p class=\"").Append(entry.Points >= entry.MaxPoints && entry.MaxPoints > 0 ? "ok" : "fail").Append("\"><b>Total: ")
          .Append(N(entry.Points)).Append(" / ").Append(N(entry.MaxPoints)).Append(" points</b></p>\n");
        if (entry.Error is not null)
            sb.Append("<p class=\"fail\">").Append(E(StatusText(entry.Status))).Append("</p><pre class=\"err\">").Append(E(entry.Error)).Append("</pre>\n");
        sb.Append("<table><tr><th>Exercise</th><th>Points</th></tr>\n");
        foreach (var e in entry.Exercises)
            sb.Append("<tr><td>").Append(E($"{e.Exercise}: {e.Title}")).Append("</td><td class=\"").Append(e.Points >= e.MaxPoints ? "ok" : "fail").Append("\">")
              .Append(N(e.Points)).Append(" / ").Append(N(e.MaxPoints)).Append("</td></tr>\n");
        sb.Append("</table>\n");
        if (executedNotebook is not null && File.Exists(executedNotebook)) Cells(sb, entry, NotebookDocument.Load(executedNotebook));
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Cells(StringBuilder sb, GradebookEntry entry, NotebookDocument notebook)
    {
        var exercises = entry.Exercises.ToDictionary(e => e.Exercise, StringComparer.Ordinal);
        sb.Append("<h2>Your notebook, as graded</h2>\n");
        foreach (var cell in notebook.Cells.OfType<JsonObject>())
        {
            if (NotebookDocument.TagsOf(cell).Contains(NotebookRunner.BannerTag)) continue;
            var id = (string?)cell["id"] ?? "";
            var source = NotebookDocument.SourceOf(cell);
            if ((string?)cell["cell_type"] != "code")
            {
                sb.Append("<div class=\"cell md\">").Append(Markdown(source)).Append("</div>\n");
                continue;
            }
            CellRole role;
            try { role = CellRole.Of(cell); } catch (FormatException) { role = new CellRole(null, null, 0, false, false); }
            var check = role.IsCheck && role.Exercise is not null && exercises.ContainsKey(role.Exercise);
            sb.Append(check ? "<div class=\"cell check\">" : "<div class=\"cell\">");
            if (check)
            {
                var exercise = exercises[role.Exercise!];
                var failure = exercise.Failures.FirstOrDefault(f => f.StartsWith(id + ": ", StringComparison.Ordinal));
                sb.Append("<p><b>Check for ").Append(E($"{exercise.Exercise}: {exercise.Title}")).Append("</b> — exercise <span class=\"")
                  .Append(exercise.Points >= exercise.MaxPoints ? "ok" : "fail").Append("\">").Append(N(exercise.Points)).Append(" / ").Append(N(exercise.MaxPoints))
                  .Append(" points</span>; this check: ").Append(failure is null ? $"<span class=\"ok\">passed ({N(role.Points)} points)</span>" : "<span class=\"fail\">failed</span>")
                  .Append("</p>\n");
                if (failure is not null) sb.Append("<pre class=\"err\">").Append(E(failure[(id.Length + 2)..])).Append("</pre>\n");
            }
            sb.Append("<pre><code>").Append(E(source)).Append("</code></pre>\n");
            foreach (var output in (cell["outputs"] as JsonArray ?? []).OfType<JsonObject>()) Output(sb, output);
            sb.Append("</div>\n");
        }
    }

    private static void Output(StringBuilder sb, JsonObject output)
    {
        switch ((string?)output["output_type"])
        {
            case "stream":
                sb.Append("<pre>").Append(E(CellResult.Join(output["text"]))).Append("</pre>\n");
                break;
            case "error":
                var traceback = output["traceback"] is JsonArray t ? string.Join("\n", t.Select(l => (string?)l)) : "";
                sb.Append("<pre class=\"err\">").Append(E($"{(string?)output["ename"]}: {(string?)output["evalue"]}")).Append(traceback.Length > 0 ? "\n" + E(traceback) : "").Append("</pre>\n");
                break;
            case "display_data" or "execute_result":
                if (output["data"] is not JsonObject data) break;
                foreach (var mime in new[] { "image/png", "image/jpeg", "image/gif" })
                {
                    var base64 = CellResult.Join(data[mime]).Replace("\n", "").Replace("\r", "");
                    if (base64.Length > 0 && Base64().IsMatch(base64))
                    {
                        sb.Append("<img alt=\"output\" src=\"data:").Append(mime).Append(";base64,").Append(base64).Append("\">\n");
                        return;
                    }
                }
                var text = data["text/plain"] is { } plain ? CellResult.Join(plain) : StripTags(CellResult.Join(data["text/html"]));
                if (text.Length > 0) sb.Append("<pre>").Append(E(text)).Append("</pre>\n");
                break;
        }
    }

    /// <summary>Simple, safe markdown: headings and paragraphs; everything else as escaped text.</summary>
    private static string Markdown(string source)
    {
        var sb = new StringBuilder();
        foreach (var line in source.Split('\n'))
        {
            var heading = Heading().Match(line);
            if (heading.Success) sb.Append($"<h{heading.Groups[1].Length + 1}>").Append(E(heading.Groups[2].Value)).Append($"</h{heading.Groups[1].Length + 1}>");
            else sb.Append(E(line)).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }

    private static string StatusText(string status) => status switch
    {
        Gradebook.StatusUnreadable => "The notebook could not be read:",
        Gradebook.StatusTimeout => "The notebook ran too long and was stopped:",
        Gradebook.StatusCrashed => "The notebook's kernel crashed:",
        _ => "Grading failed (not your fault; your instructor has been told):",
    };

    private static string StripTags(string html) => WebUtility.HtmlDecode(Tags().Replace(Styles().Replace(html, ""), "")).Trim();

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(#{1,5})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^[A-Za-z0-9+/]+={0,2}$")]
    private static partial Regex Base64();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"<(style|script)[^>]*>.*?</\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Styles();
}
