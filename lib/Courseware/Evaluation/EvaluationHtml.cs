using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>How evaluation results look in a notebook and in HTML reports (the results themselves are plain data).</summary>
internal static class EvaluationHtml
{
    [HtmlRenderer]
    public static string Preferences(HumanPreferences preferences) => Html.Table(["id", "question", "answer A", "answer B", "preferred", "reason"],
        preferences.Items.Select(i => (object?[])[i.Id, i.Pair.Question, i.Pair.First, i.Pair.Second, i.Label switch { Preference.First => "A", Preference.Second => "B", _ => "tie" }, i.Reason]),
        $"{preferences.Items.Count} human preferences ({Path.GetFileName(preferences.Source)})");

    [HtmlRenderer]
    public static string Classification(ClassificationReport report) => Html.Table(["class", "precision", "recall", "F1", "support"], report.Rows(), "Classification report");

    [HtmlRenderer]
    public static string Confusion(ConfusionMatrix matrix) =>
        Html.Table(matrix.Labels.Select(l => $"predicted {l}").Prepend("true \\ predicted"),
            Enumerable.Range(0, matrix.Labels.Count).Select(i => Enumerable.Range(0, matrix.Labels.Count).Select(j => (object?)matrix[i, j]).Prepend(matrix.Labels[i])),
            $"Confusion matrix ({matrix.Total} items)");

    [HtmlRenderer]
    public static string Seeds(SeedSummary summary) => Html.Table(["metric", "mean", "std", "seeds", $"{summary.Confidence * 100:0.#} % CI low", "CI high"],
        [[summary.Name ?? "", summary.Mean, summary.StandardDeviation, summary.Values.Count, summary.Low, summary.High]]);

    [HtmlRenderer]
    public static string Judge(JudgeReport report) => Html.Table(["judge meta-metric", "value"], report.Rows(), "Pairwise judge");

    [HtmlRenderer]
    public static string Compare(Comparison c) =>
        Html.Table(["", "value"],
        [
            [$"mean {c.NameA}", c.MeanA], [$"mean {c.NameB}", c.MeanB],
            [$"{c.NameA} − {c.NameB}", c.Difference],
            [$"{(c.Interval.Confidence * 100).ToString("0.#", CultureInfo.InvariantCulture)} % CI (paired bootstrap)", $"{Html.FormatNumber(c.Interval.Low)} to {Html.FormatNumber(c.Interval.High)}"],
            [$"p ({c.Test})", TestResult.FormatP(c.PValue)],
            ["Cohen's d (paired)", $"{c.EffectSize.ToString("0.00", CultureInfo.InvariantCulture)} ({c.EffectSizeInWords})"],
            ["items", c.Items],
        ], $"{c.NameA} vs {c.NameB}")
        + $"<p style=\"font-family:system-ui,sans-serif;font-size:13px;max-width:48em\">{Html.Escape(c.Summary)}</p>";
}
