using System.Globalization;

namespace Courseware.Evaluation;

/// <summary>How BLEU treats an n-gram order with no match (Chen &amp; Cherry 2014; sacreBLEU's names in brackets).</summary>
public enum BleuSmoothing
{
    /// <summary>No smoothing ["none"]: one order without a match makes BLEU 0.</summary>
    None,
    /// <summary>Method 1 ["floor"]: a zero match count becomes <see cref="BleuOptions.SmoothValue"/> (default 0.1).</summary>
    Floor,
    /// <summary>Method 2 ["add-k"]: add <see cref="BleuOptions.SmoothValue"/> (default 1) to matches and totals of orders ≥ 2.</summary>
    AddK,
    /// <summary>Method 3 ["exp"], NIST/mteval-v13a and sacreBLEU's default: the k-th order without a match gets precision 1 / (2ᵏ · total).</summary>
    Exponential,
}

/// <summary>BLEU settings; the defaults are sacreBLEU's corpus defaults (13a tokens, mixed case, exp smoothing, 4-grams).</summary>
public sealed record BleuOptions
{
    /// <summary>Lower-case hypotheses and references first (sacreBLEU <c>-lc</c>), with Python's <c>str.lower()</c> (final sigma, 'İ' → "i̇").</summary>
    public bool Lowercase { get; init; }
    /// <summary>Apply <see cref="Tokenizer13a"/> (true, the default) or split on whitespace only ("none").</summary>
    public bool Tokenize13a { get; init; } = true;
    /// <summary>What to do with n-gram orders without a match (default exp, as sacreBLEU).</summary>
    public BleuSmoothing Smoothing { get; init; } = BleuSmoothing.Exponential;
    /// <summary>Value for <see cref="BleuSmoothing.Floor"/> (default 0.1) and <see cref="BleuSmoothing.AddK"/> (default 1).</summary>
    public double? SmoothValue { get; init; }
    /// <summary>Average only over orders that the hypothesis has n-grams for (for sentence-level BLEU).</summary>
    public bool EffectiveOrder { get; init; }
    /// <summary>Longest n-gram counted (default 4).</summary>
    public int MaxOrder { get; init; } = 4;
}

/// <summary>A BLEU result with its sufficient statistics, printed the way sacreBLEU prints it.</summary>
/// <param name="Score">BLEU on the 0–100 scale.</param>
/// <param name="Precisions">Modified n-gram precisions (0–100) after smoothing, order 1 first.</param>
/// <param name="BrevityPenalty">exp(1 − r/c) when the hypothesis length c is below the reference length r, else 1.</param>
/// <param name="HypothesisLength">c: the number of hypothesis tokens, summed over the corpus.</param>
/// <param name="ReferenceLength">r: per segment the reference length closest to the hypothesis length, summed over the corpus.</param>
/// <param name="Matches">Clipped n-gram matches per order (order 1 first), summed over the corpus, before smoothing.</param>
/// <param name="Totals">Hypothesis n-grams per order (order 1 first), summed over the corpus, before smoothing.</param>
public sealed record BleuScore(double Score, IReadOnlyList<double> Precisions, double BrevityPenalty,
    int HypothesisLength, int ReferenceLength, IReadOnlyList<int> Matches, IReadOnlyList<int> Totals)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        double ratio = ReferenceLength == 0 ? 0 : (double)HypothesisLength / ReferenceLength;
        return string.Create(c, $"BLEU = {Score:F2} {string.Join('/', Precisions.Select(p => p.ToString("F1", c)))} " +
            $"(BP = {BrevityPenalty:F3} ratio = {ratio:F3} hyp_len = {HypothesisLength} ref_len = {ReferenceLength})");
    }
}

/// <summary>
/// BLEU (Papineni et al. 2002) exactly as sacreBLEU 2.x computes it. Per segment, hypothesis n-gram counts (n = 1…4) are
/// clipped by the maximum count in any reference; matches and totals are summed over the corpus;
/// pₙ = matches / totals (smoothed per <see cref="BleuSmoothing"/>); the reference length of a segment is the reference
/// length closest to the hypothesis length (the shorter on ties); BLEU = BP · exp((1/N) Σ log pₙ), BP = min(1, exp(1 − r/c)).
/// </summary>
/// <example><code>Bleu.Corpus(hypotheses, references).Score</code></example>
public static class Bleu
{
    /// <summary>Corpus BLEU with one reference per segment.</summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, BleuOptions? options = null)
    {
        Check.SameLength(hypotheses, references, nameof(hypotheses), nameof(references));
        return Corpus(hypotheses, references.Select(r => (IReadOnlyList<string>)[r]).ToList(), options);
    }

    /// <summary>
    /// Corpus BLEU with several references per segment: <paramref name="references"/>[i] holds the references of
    /// hypothesis i (note: sacreBLEU's Python API takes the transpose, one stream per reference set).
    /// </summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        Check.SameLength(hypotheses, references, nameof(hypotheses), nameof(references));
        if (options.MaxOrder < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxOrder, "MaxOrder must be ≥ 1.");
        int order = options.MaxOrder;
        var matches = new int[order];
        var totals = new int[order];
        int hypLength = 0, refLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (references[i] is null || references[i].Count == 0)
                throw new ArgumentException($"references[{i}] is empty; every hypothesis needs at least one reference.", nameof(references));
            var refCounts = new Dictionary<string, int>();
            var refLengths = new List<int>();
            foreach (var reference in references[i])
            {
                var (counts, length) = NGrams(Preprocess(reference ?? throw new ArgumentException($"references[{i}] contains null.", nameof(references)), options), order);
                refLengths.Add(length);
                foreach (var (gram, count) in counts)
                    refCounts[gram] = Math.Max(refCounts.GetValueOrDefault(gram), count);
            }
            var (hypCounts, hypLen) = NGrams(Preprocess(hypotheses[i] ?? throw new ArgumentException($"hypotheses[{i}] is null.", nameof(hypotheses)), options), order);
            hypLength += hypLen;
            refLength += ClosestLength(hypLen, refLengths);
            foreach (var (gram, count) in hypCounts)
            {
                int n = gram.Count(c => c == ' '); // tokens never contain spaces, so spaces count the order − 1
                totals[n] += count;
                if (refCounts.TryGetValue(gram, out int refCount)) matches[n] += Math.Min(count, refCount);
            }
        }
        return FromStatistics(matches, totals, hypLength, refLength, options);
    }

    /// <summary>Sentence BLEU: one segment, with effective order on (sacreBLEU's recommendation for single sentences).</summary>
    public static BleuScore Sentence(string hypothesis, IReadOnlyList<string> references, BleuOptions? options = null) =>
        Corpus([hypothesis], [references], (options ?? new BleuOptions()) with { EffectiveOrder = true });

    /// <summary>BLEU from its sufficient statistics (sacreBLEU's <c>compute_bleu</c>): matched and total n-grams per order and the lengths.</summary>
    public static BleuScore FromStatistics(IReadOnlyList<int> matches, IReadOnlyList<int> totals, int hypothesisLength, int referenceLength, BleuOptions? options = null)
    {
        options ??= new BleuOptions();
        int order = options.MaxOrder;
        if (matches.Count != order || totals.Count != order)
            throw new ArgumentException($"matches and totals need {order} entries (MaxOrder); got {matches.Count} and {totals.Count}.", nameof(matches));
        double smoothValue = options.SmoothValue ?? (options.Smoothing == BleuSmoothing.AddK ? 1 : 0.1);
        double bp = hypothesisLength < referenceLength
            ? hypothesisLength > 0 ? Math.Exp(1 - (double)referenceLength / hypothesisLength) : 0
            : 1;
        var precisions = new double[order];
        if (matches.All(m => m == 0))
            return new BleuScore(0, precisions, bp, hypothesisLength, referenceLength, matches.ToArray(), totals.ToArray());
        double smoothExp = 1;
        int effectiveOrder = order;
        for (int n = 0; n < order; n++)
        {
            double correct = matches[n], total = totals[n];
            if (options.Smoothing == BleuSmoothing.AddK && n > 0) { correct += smoothValue; total += smoothValue; }
            if (total == 0) break;
            if (options.EffectiveOrder) effectiveOrder = n + 1;
            if (correct == 0)
            {
                if (options.Smoothing == BleuSmoothing.Exponential) { smoothExp *= 2; precisions[n] = 100 / (smoothExp * total); }
                else if (options.Smoothing == BleuSmoothing.Floor) precisions[n] = 100 * smoothValue / total;
            }
            else precisions[n] = 100 * correct / total;
        }
        // sacreBLEU floors log(0) at −9999999999 rather than −∞, so an unmatched order drives BLEU to 0.
        double logSum = precisions.Take(effectiveOrder).Sum(p => p == 0 ? -9999999999 : Math.Log(p));
        return new BleuScore(bp * Math.Exp(logSum / effectiveOrder), precisions, bp, hypothesisLength, referenceLength, matches.ToArray(), totals.ToArray());
    }

    private static string[] Preprocess(string segment, BleuOptions options)
    {
        // sacreBLEU: sent.lower(), sent.rstrip(), then line.split(): Python's case mapping and whitespace.
        if (options.Lowercase) segment = PythonText.Lower(segment);
        segment = PythonText.TrimEnd(segment);
        if (options.Tokenize13a) segment = Tokenizer13a.Tokenize(segment);
        return PythonText.Split(segment);
    }

    private static (Dictionary<string, int> Counts, int Length) NGrams(string[] tokens, int maxOrder)
    {
        var counts = new Dictionary<string, int>();
        for (int n = 1; n <= maxOrder; n++)
            for (int i = 0; i + n <= tokens.Length; i++)
            {
                var gram = string.Join(' ', tokens, i, n);
                counts[gram] = counts.GetValueOrDefault(gram) + 1;
            }
        return (counts, tokens.Length);
    }

    private static int ClosestLength(int hypLength, List<int> refLengths)
    {
        int best = refLengths[0];
        foreach (var length in refLengths)
        {
            int diff = Math.Abs(hypLength - length), bestDiff = Math.Abs(hypLength - best);
            if (diff < bestDiff || (diff == bestDiff && length < best)) best = length;
        }
        return best;
    }
}
