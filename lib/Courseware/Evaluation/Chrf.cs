using System.Globalization;
using System.Text;

namespace Courseware.Evaluation;

/// <summary>chrF settings; the defaults are sacreBLEU's (chrF2: character 6-grams, β = 2, whitespace removed).</summary>
public sealed record ChrfOptions
{
    /// <summary>Longest character n-gram (default 6).</summary>
    public int CharOrder { get; init; } = 6;
    /// <summary>Word n-gram order; 2 gives chrF++ (Popović 2017).</summary>
    public int WordOrder { get; init; }
    /// <summary>Recall weighs β times as much as precision.</summary>
    public double Beta { get; init; } = 2;
    /// <summary>Compare case-insensitively (Python's <c>str.lower()</c>, as sacreBLEU: "ΟΔΟΣ" becomes "οδος").</summary>
    public bool Lowercase { get; init; }
    /// <summary>Keep whitespace inside character n-grams (sacreBLEU <c>whitespace=True</c>).</summary>
    public bool Whitespace { get; init; }
    /// <summary>
    /// false (default): average precision and recall over the orders that both sides have n-grams for, then take F_β
    /// (sacreBLEU's "effective order"). true: F_β per order with ε = 1e-16 for empty orders, averaged over all orders
    /// (chrF++.py, NLTK and Moses).
    /// </summary>
    public bool EpsilonSmoothing { get; init; }
}

/// <summary>
/// chrF (Popović 2015) exactly as sacreBLEU 2.x computes it: character n-gram (n = 1…6) precision and recall between
/// hypothesis and reference with spaces removed, combined as F_β = (1 + β²)·P·R / (β²·P + R), on a 0–100 scale.
/// Corpus chrF sums the n-gram statistics over segments first; with several references per segment the reference with
/// the best segment score supplies the statistics.
/// </summary>
/// <example><code>Chrf.Corpus(hypotheses, references)</code></example>
public static class Chrf
{
    /// <summary>Corpus chrF with one reference per segment.</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, ChrfOptions? options = null)
    {
        Check.SameLength(hypotheses, references, nameof(hypotheses), nameof(references));
        return Corpus(hypotheses, references.Select(r => (IReadOnlyList<string>)[r]).ToList(), options);
    }

    /// <summary>Corpus chrF; <paramref name="references"/>[i] holds the references of hypothesis i.</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, ChrfOptions? options = null)
    {
        options ??= new ChrfOptions();
        Check.SameLength(hypotheses, references, nameof(hypotheses), nameof(references));
        if (options.CharOrder < 1 || options.WordOrder < 0) throw new ArgumentOutOfRangeException(nameof(options), "CharOrder must be ≥ 1 and WordOrder ≥ 0.");
        var corpus = new double[3 * (options.CharOrder + options.WordOrder)];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (references[i] is null || references[i].Count == 0)
                throw new ArgumentException($"references[{i}] is empty; every hypothesis needs at least one reference.", nameof(references));
            var hyp = Extract(hypotheses[i] ?? throw new ArgumentException($"hypotheses[{i}] is null.", nameof(hypotheses)), options);
            double[]? best = null;
            double bestScore = -1;
            foreach (var reference in references[i])
            {
                var stats = Statistics(hyp, Extract(reference ?? throw new ArgumentException($"references[{i}] contains null.", nameof(references)), options));
                double score = FScore(stats, options);
                if (score > bestScore) { bestScore = score; best = stats; }
            }
            for (int j = 0; j < corpus.Length; j++) corpus[j] += best![j];
        }
        return FScore(corpus, options);
    }

    /// <summary>Sentence chrF of one hypothesis against its references.</summary>
    public static double Sentence(string hypothesis, IReadOnlyList<string> references, ChrfOptions? options = null) =>
        Corpus([hypothesis], [references], options);

    private static List<Dictionary<string, int>> Extract(string text, ChrfOptions options)
    {
        if (options.Lowercase) text = PythonText.Lower(text);
        var grams = new List<Dictionary<string, int>>();
        string chars = options.Whitespace ? text : string.Concat(PythonText.Split(text)); // ''.join(line.split())
        // Python indexes strings by code point; offsets of each rune keep surrogate pairs whole.
        var offsets = new List<int>();
        for (int at = 0; at < chars.Length; at += char.IsSurrogatePair(chars, at) ? 2 : 1) offsets.Add(at);
        offsets.Add(chars.Length);
        int length = offsets.Count - 1;
        for (int n = 1; n <= options.CharOrder; n++)
        {
            var counts = new Dictionary<string, int>();
            for (int i = 0; i + n <= length; i++)
            {
                var gram = chars.Substring(offsets[i], offsets[i + n] - offsets[i]);
                counts[gram] = counts.GetValueOrDefault(gram) + 1;
            }
            grams.Add(counts);
        }
        if (options.WordOrder > 0)
        {
            var words = SplitPunctuation(text);
            for (int n = 1; n <= options.WordOrder; n++)
            {
                var counts = new Dictionary<string, int>();
                for (int i = 0; i + n <= words.Count; i++)
                {
                    var gram = string.Join(' ', words.Skip(i).Take(n));
                    counts[gram] = counts.GetValueOrDefault(gram) + 1;
                }
                grams.Add(counts);
            }
        }
        return grams;
    }

    // chrF++ words: one punctuation character is split off the end (or else the start) of each word, as chrF++.py does.
    private static List<string> SplitPunctuation(string text)
    {
        const string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        var words = new List<string>();
        foreach (var w in PythonText.Split(text))
        {
            if (w.Length == 1) words.Add(w);
            else if (punctuation.Contains(w[^1])) { words.Add(w[..^1]); words.Add(w[^1..]); }
            else if (punctuation.Contains(w[0])) { words.Add(w[..1]); words.Add(w[1..]); }
            else words.Add(w);
        }
        return words;
    }

    private static double[] Statistics(List<Dictionary<string, int>> hyp, List<Dictionary<string, int>> reference)
    {
        var stats = new double[3 * hyp.Count];
        for (int n = 0; n < hyp.Count; n++)
        {
            int hypCount = 0, match = 0;
            foreach (var (gram, count) in hyp[n])
            {
                hypCount += count;
                if (reference[n].TryGetValue(gram, out int refCount)) match += Math.Min(count, refCount);
            }
            stats[3 * n] = reference[n].Count > 0 ? hypCount : 0; // sacreBLEU's rule: no reference n-grams, no hypothesis count
            stats[3 * n + 1] = reference[n].Values.Sum();
            stats[3 * n + 2] = match;
        }
        return stats;
    }

    private static double FScore(double[] stats, ChrfOptions options)
    {
        const double eps = 1e-16;
        double factor = options.Beta * options.Beta, score = 0, avgPrecision = 0, avgRecall = 0;
        int orders = stats.Length / 3, effective = 0;
        for (int n = 0; n < orders; n++)
        {
            double hyp = stats[3 * n], reference = stats[3 * n + 1], match = stats[3 * n + 2];
            double precision = hyp > 0 ? match / hyp : eps, recall = reference > 0 ? match / reference : eps;
            double denominator = factor * precision + recall;
            score += denominator > 0 ? (1 + factor) * precision * recall / denominator : eps;
            if (hyp > 0 && reference > 0) { avgPrecision += precision; avgRecall += recall; effective++; }
        }
        if (options.EpsilonSmoothing) return 100 * score / orders;
        if (effective == 0) return 0;
        avgPrecision /= effective;
        avgRecall /= effective;
        return avgPrecision + avgRecall == 0 ? 0 : 100 * (1 + factor) * avgPrecision * avgRecall / (factor * avgPrecision + avgRecall);
    }
}
