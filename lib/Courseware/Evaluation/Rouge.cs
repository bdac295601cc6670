using System.Text;

namespace Courseware.Evaluation;

/// <summary>Precision, recall and their F-measure (F1 = 2PR / (P + R), 0 when both are 0).</summary>
public readonly record struct PrecisionRecall(double Precision, double Recall)
{
    /// <summary>F1 = 2PR / (P + R), 0 when P + R = 0.</summary>
    public double FMeasure => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>ROUGE-1, ROUGE-2 and ROUGE-L of one prediction; summaries are usually compared on <c>.FMeasure</c>.</summary>
public sealed record RougeScores(PrecisionRecall Rouge1, PrecisionRecall Rouge2, PrecisionRecall RougeL);

/// <summary>
/// ROUGE (Lin 2004) as Google's <c>rouge_score</c> package computes it without stemming, which matches ROUGE-1.5.5:
/// text is lower-cased, every run of characters other than a–z and 0–9 becomes a space, and the rest is split into tokens.
/// ROUGE-N: with c = clipped n-gram overlap, P = c / prediction n-grams, R = c / reference n-grams.
/// ROUGE-L: with l = length of the longest common subsequence of tokens, P = l / |prediction|, R = l / |reference|.
/// </summary>
/// <example><code>Rouge.Score(summary, referenceSummary).RougeL.FMeasure</code></example>
public static class Rouge
{
    /// <summary>ROUGE-1/2/L of <paramref name="prediction"/> against one reference.</summary>
    public static RougeScores Score(string prediction, string reference)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(reference);
        var p = Tokenize(prediction);
        var r = Tokenize(reference);
        return new RougeScores(NGramOverlap(p, r, 1), NGramOverlap(p, r, 2), LongestCommonSubsequence(p, r));
    }

    /// <summary>With several references each ROUGE variant takes the reference with the best F-measure (rouge_score's <c>score_multi</c>).</summary>
    public static RougeScores Score(string prediction, IReadOnlyList<string> references)
    {
        Check.NotEmpty(references, nameof(references));
        var all = references.Select(r => Score(prediction, r)).ToList();
        return new RougeScores(
            all.Select(s => s.Rouge1).MaxBy(s => s.FMeasure), all.Select(s => s.Rouge2).MaxBy(s => s.FMeasure), all.Select(s => s.RougeL).MaxBy(s => s.FMeasure));
    }

    /// <summary>rouge_score's tokenizer: lower-case (Python's <c>str.lower()</c>), non-[a-z0-9] runs to spaces, split.</summary>
    public static IReadOnlyList<string> Tokenize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var ch in PythonText.Lower(text)) sb.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : ' ');
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static PrecisionRecall NGramOverlap(IReadOnlyList<string> prediction, IReadOnlyList<string> reference, int n)
    {
        var predicted = Grams(prediction, n);
        var expected = Grams(reference, n);
        int overlap = predicted.Sum(g => Math.Min(g.Value, expected.GetValueOrDefault(g.Key)));
        int predictedTotal = predicted.Values.Sum(), referenceTotal = expected.Values.Sum();
        return new PrecisionRecall((double)overlap / Math.Max(predictedTotal, 1), (double)overlap / Math.Max(referenceTotal, 1));
    }

    private static Dictionary<string, int> Grams(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>();
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            var gram = string.Join(' ', tokens.Skip(i).Take(n));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    private static PrecisionRecall LongestCommonSubsequence(IReadOnlyList<string> prediction, IReadOnlyList<string> reference)
    {
        if (prediction.Count == 0 || reference.Count == 0) return new PrecisionRecall(0, 0);
        // One DP row at a time: lcs[j] = LCS of the reference prefix so far and prediction[..j].
        var previous = new int[prediction.Count + 1];
        var current = new int[prediction.Count + 1];
        foreach (var token in reference)
        {
            for (int j = 1; j <= prediction.Count; j++)
                current[j] = token == prediction[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        double lcs = previous[prediction.Count];
        return new PrecisionRecall(lcs / prediction.Count, lcs / reference.Count);
    }
}
