using MathNet.Numerics;
using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>The outcome of a significance test: its name, statistic and two-sided p-value.</summary>
public sealed record TestResult(string Test, double Statistic, double PValue)
{
    /// <inheritdoc />
    public override string ToString() => $"{Test}: statistic = {Html.FormatNumber(Statistic)}, p = {FormatP(PValue)}";

    /// <summary>p-values as papers print them: 3 significant digits, "&lt; 0.001" below that.</summary>
    public static string FormatP(double p) => p < 0.001 ? "< 0.001" : p.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Which McNemar variant to use.</summary>
public enum McNemarMethod
{
    /// <summary>Exact binomial test when the discordant pairs number fewer than 25, otherwise chi-square with continuity correction.</summary>
    Auto,
    /// <summary>Exact: p = min(1, 2 · P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½).</summary>
    Exact,
    /// <summary>Chi-square with continuity correction: χ² = (|b − c| − 1)² / (b + c), 1 degree of freedom.</summary>
    ChiSquare,
    /// <summary>Chi-square without continuity correction (McNemar 1947): χ² = (b − c)² / (b + c), 1 degree of freedom.</summary>
    ChiSquareWithoutCorrection,
}

/// <summary>McNemar's test result with its discordant counts: b = only A right, c = only B right.</summary>
public sealed record McNemarResult(int OnlyACorrect, int OnlyBCorrect, double Statistic, double PValue, bool Exact)
{
    /// <summary>The variant that was computed: <see cref="McNemarMethod.Exact"/>, <see cref="McNemarMethod.ChiSquare"/> or <see cref="McNemarMethod.ChiSquareWithoutCorrection"/>.</summary>
    public McNemarMethod Method { get; init; } = Exact ? McNemarMethod.Exact : McNemarMethod.ChiSquare;

    /// <inheritdoc />
    public override string ToString() =>
        $"McNemar ({Method switch { McNemarMethod.Exact => "exact binomial", McNemarMethod.ChiSquare => "χ² with continuity correction", _ => "χ² without continuity correction" }}): b = {OnlyACorrect}, c = {OnlyBCorrect}, statistic = {Html.FormatNumber(Statistic)}, p = {TestResult.FormatP(PValue)}";
}

/// <summary>Adjusted p-values and decisions from a multiple-comparison correction, in the input order.</summary>
public sealed record MultipleTestResult(IReadOnlyList<double> AdjustedPValues, IReadOnlyList<bool> Reject, double Alpha, string Method);

/// <summary>
/// Statistics for deciding whether one system beats another: significance tests, effect sizes, corrections for many
/// comparisons, seed summaries, inter-rater agreement and the one-call <c>Compare</c> report (per-item scores:
/// <see cref="Compare(IReadOnlyList{double}, IReadOnlyList{double}, string, string, double, int, int)"/>; per-item
/// correctness: <see cref="Compare(IReadOnlyList{bool}, IReadOnlyList{bool}, string, string, double, int, int)"/>).
/// Results match scipy.stats and statsmodels (see the reference script in the tests).
/// </summary>
public static partial class Stats
{
    /// <summary>
    /// McNemar's test for two classifiers on the same items (as statsmodels' <c>mcnemar</c>): only the discordant items
    /// count — b where only A is right, c where only B is right. Under H₀ (equal error rates) b ~ Binomial(b + c, ½).
    /// With no discordant item (b = c = 0) there is no evidence either way, and every variant returns statistic 0, p = 1:
    /// statsmodels agrees for the exact test, but its χ² gives statistic ∞, p = 0 with the continuity correction
    /// ((0 − 1)² / 0) and NaN without it (0 / 0) — a division by zero, not a finding.
    /// </summary>
    public static McNemarResult McNemar(IReadOnlyList<bool> correctA, IReadOnlyList<bool> correctB, McNemarMethod method = McNemarMethod.Auto)
    {
        Check.SameLength(correctA, correctB, nameof(correctA), nameof(correctB));
        int b = 0, c = 0;
        for (int i = 0; i < correctA.Count; i++)
        {
            if (correctA[i] && !correctB[i]) b++;
            else if (!correctA[i] && correctB[i]) c++;
        }
        return McNemar(b, c, method);
    }

    /// <summary>McNemar's test from the discordant counts b (only A right) and c (only B right).</summary>
    public static McNemarResult McNemar(int onlyACorrect, int onlyBCorrect, McNemarMethod method = McNemarMethod.Auto)
    {
        if (onlyACorrect < 0 || onlyBCorrect < 0)
            throw new ArgumentOutOfRangeException(onlyACorrect < 0 ? nameof(onlyACorrect) : nameof(onlyBCorrect), "discordant counts cannot be negative.");
        int b = onlyACorrect, c = onlyBCorrect, n = b + c;
        bool exact = method == McNemarMethod.Exact || (method == McNemarMethod.Auto && n < 25);
        var used = exact ? McNemarMethod.Exact : method == McNemarMethod.ChiSquareWithoutCorrection ? method : McNemarMethod.ChiSquare;
        if (n == 0) return new McNemarResult(b, c, 0, 1, exact) { Method = used };
        if (exact)
        {
            int k = Math.Min(b, c);
            double cdf = 0; // P(X ≤ k), X ~ Binomial(n, ½), summed in log space so large n cannot overflow
            for (int i = 0; i <= k; i++) cdf += Math.Exp(SpecialFunctions.BinomialLn(n, i) - n * Math.Log(2));
            return new McNemarResult(b, c, k, Math.Min(1, 2 * cdf), true);
        }
        double correction = used == McNemarMethod.ChiSquare ? 1 : 0;
        double chi2 = Math.Pow(Math.Abs(b - c) - correction, 2) / n;
        return new McNemarResult(b, c, chi2, SpecialFunctions.Erfc(Math.Sqrt(chi2 / 2)), false) { Method = used }; // χ²₁ survival = erfc(√(x/2))
    }

    /// <summary>
    /// Paired t-test (scipy's <c>ttest_rel</c>): with dᵢ = aᵢ − bᵢ, t = mean(d) / (sd(d) / √n), n − 1 degrees of freedom,
    /// two-sided p. Assumes the differences are roughly normal; use <see cref="Wilcoxon"/> when they are not.
    /// When all differences are equal the statistic is ±∞ with p = 0 (as scipy), or, if they are all 0, NaN with p = 1
    /// where scipy returns p = NaN: identical scores are no evidence of a difference, and p = 1 keeps corrections such as
    /// <see cref="BenjaminiHochberg"/> working.
    /// </summary>
    public static TestResult PairedTTest(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var d = Differences(a, b);
        if (d.Length < 2) throw new ArgumentException("a paired t-test needs at least 2 pairs.", nameof(a));
        double mean = d.Average(), sd = StandardDeviation(d);
        if (sd == 0) return new TestResult("paired t-test", mean == 0 ? double.NaN : Math.CopySign(double.PositiveInfinity, mean), mean == 0 ? 1 : 0);
        double t = mean / (sd / Math.Sqrt(d.Length));
        return new TestResult("paired t-test", t, StudentTwoSided(t, d.Length - 1));
    }

    /// <summary>
    /// Wilcoxon signed-rank test (scipy's <c>wilcoxon</c> with its defaults: zero differences dropped, no continuity
    /// correction). The statistic is T = min(R₊, R₋), the smaller sum of ranks of |dᵢ| by sign. The p-value is exact
    /// (from the distribution of R₊) for at most 50 pairs with no zero and no tied |dᵢ|, otherwise the normal
    /// approximation with the tie correction. (scipy also goes exact with ties, which it cannot do correctly.)
    /// </summary>
    public static TestResult Wilcoxon(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var all = Differences(a, b);
        var d = all.Where(x => x != 0).ToArray();
        if (d.Length == 0) throw new ArgumentException("every difference a − b is 0; the Wilcoxon test has nothing to rank.", nameof(a));
        var ranks = AverageRanks(d.Select(Math.Abs).ToArray(), out var tieSizes);
        double rPlus = 0, rMinus = 0;
        for (int i = 0; i < d.Length; i++) if (d[i] > 0) rPlus += ranks[i]; else rMinus += ranks[i];
        double statistic = Math.Min(rPlus, rMinus);
        int n = d.Length;
        if (all.Length <= 50 && d.Length == all.Length && tieSizes.Count == 0)
            return new TestResult("Wilcoxon signed-rank (exact)", statistic, WilcoxonExact(n, (int)rPlus));
        double mean = n * (n + 1) / 4.0;
        double variance = n * (n + 1.0) * (2 * n + 1);
        foreach (var t in tieSizes) variance -= 0.5 * t * (t * (double)t - 1);
        double z = (statistic - mean) / Math.Sqrt(variance / 24);
        return new TestResult("Wilcoxon signed-rank (normal approximation)", statistic, SpecialFunctions.Erfc(Math.Abs(z) / Math.Sqrt(2)));
    }

    // Two-sided exact p from the null distribution of R₊: the number of subsets of {1…n} with each rank sum, / 2ⁿ.
    private static double WilcoxonExact(int n, int rPlus)
    {
        int max = n * (n + 1) / 2;
        var counts = new double[max + 1];
        counts[0] = 1;
        for (int rank = 1; rank <= n; rank++)
            for (int s = max; s >= rank; s--) counts[s] += counts[s - rank];
        if (rPlus == max / 2) return 1; // the centre of the symmetric distribution (scipy's rule)
        double total = Math.Pow(2, n), below = 0, above = 0;
        for (int s = 0; s <= max; s++)
        {
            if (s <= rPlus) below += counts[s];
            if (s >= rPlus) above += counts[s];
        }
        return Math.Min(1, 2 * Math.Min(below, above) / total);
    }

    /// <summary>
    /// Cohen's d for paired scores (d_z): mean(a − b) / sd(a − b), the mean difference in units of its own spread.
    /// </summary>
    public static double CohensDPaired(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var d = Differences(a, b);
        if (d.Length < 2) throw new ArgumentException("Cohen's d needs at least 2 pairs.", nameof(a));
        double sd = StandardDeviation(d), mean = d.Average();
        return sd == 0 ? (mean == 0 ? 0 : Math.CopySign(double.PositiveInfinity, mean)) : mean / sd;
    }

    /// <summary>
    /// Cohen's d for independent samples: (mean(a) − mean(b)) / s_pooled with
    /// s_pooled = √(((n_a − 1)s_a² + (n_b − 1)s_b²) / (n_a + n_b − 2)).
    /// </summary>
    public static double CohensD(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException($"Cohen's d needs at least 2 values per group; got {a.Count} and {b.Count}.", a.Count < 2 ? nameof(a) : nameof(b));
        Check.Finite(a, nameof(a));
        Check.Finite(b, nameof(b));
        double va = Variance(a), vb = Variance(b);
        double pooled = Math.Sqrt(((a.Count - 1) * va + (b.Count - 1) * vb) / (a.Count + b.Count - 2));
        return (a.Average() - b.Average()) / pooled;
    }

    /// <summary>Cohen's (1988) conventional words for |d|: below 0.2 negligible, 0.2 small, 0.5 medium, 0.8 large.</summary>
    public static string DescribeEffectSize(double d) => Math.Abs(d) switch
    {
        < 0.2 => "negligible",
        < 0.5 => "small",
        < 0.8 => "medium",
        _ when double.IsNaN(d) => "undefined",
        _ => "large",
    };

    /// <summary>
    /// Benjamini–Hochberg false-discovery-rate control (statsmodels <c>multipletests(method="fdr_bh")</c>): with the
    /// m p-values sorted, reject p₍₁₎ … p₍ₖ₎ for the largest k with p₍ₖ₎ ≤ α·k/m; p₍ᵢ₎ is adjusted to min over j ≥ i of
    /// p₍ⱼ₎ / (j/m) (at most 1). The decision compares with α·k/m directly, so a p-value exactly on the boundary is
    /// rejected as statsmodels does (rounding m·p/k first can push it just above α). For many exploratory comparisons.
    /// </summary>
    /// <example><code>Stats.BenjaminiHochberg([0.001, 0.002, 0.05], alpha: 0.05).Reject   // all three</code></example>
    public static MultipleTestResult BenjaminiHochberg(IReadOnlyList<double> pValues, double alpha = 0.05)
    {
        CheckPValues(pValues, alpha);
        int m = pValues.Count;
        var order = SortedOrder(pValues);
        var adjusted = new double[m];
        var reject = new bool[m];
        double running = 1;
        bool below = false;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            double ecdf = (double)rank / m; // statsmodels' ecdf factor, the same floating-point operations
            below |= pValues[i] <= ecdf * alpha; // step-up: everything below the largest rejected rank is rejected too
            reject[i] = below;
            running = Math.Min(running, pValues[i] / ecdf);
            adjusted[i] = running;
        }
        return new MultipleTestResult(adjusted, reject, alpha, "Benjamini–Hochberg");
    }

    /// <summary>
    /// Bonferroni correction (statsmodels <c>multipletests(method="bonferroni")</c>): adjusted p = min(1, m·p); reject where
    /// p ≤ α / m. Controls the chance of any false positive; for confirmatory comparisons.
    /// </summary>
    public static MultipleTestResult Bonferroni(IReadOnlyList<double> pValues, double alpha = 0.05)
    {
        CheckPValues(pValues, alpha);
        int m = pValues.Count;
        return new MultipleTestResult(pValues.Select(p => Math.Min(1, p * m)).ToArray(), pValues.Select(p => p <= alpha / m).ToArray(), alpha, "Bonferroni");
    }

    /// <summary>
    /// Holm's step-down correction (statsmodels <c>multipletests(method="holm")</c>): with the m p-values sorted, reject
    /// p₍₁₎, p₍₂₎ … while p₍ₖ₎ ≤ α / (m − k + 1) and stop at the first that is not; p₍ₖ₎ is adjusted to
    /// max over j ≤ k of (m − j + 1)·p₍ⱼ₎ (at most 1). Controls the chance of any false positive like Bonferroni, and
    /// never rejects less.
    /// </summary>
    /// <example><code>Stats.Holm([0.001, 0.002, 0.05]).Reject   // all three; Bonferroni rejects two</code></example>
    public static MultipleTestResult Holm(IReadOnlyList<double> pValues, double alpha = 0.05)
    {
        CheckPValues(pValues, alpha);
        int m = pValues.Count;
        var order = SortedOrder(pValues);
        var adjusted = new double[m];
        var reject = new bool[m];
        double running = 0;
        bool stopped = false;
        for (int k = 0; k < m; k++)
        {
            int i = order[k];
            stopped |= pValues[i] > alpha / (m - k);
            reject[i] = !stopped;
            running = Math.Max(running, pValues[i] * (m - k));
            adjusted[i] = Math.Min(1, running);
        }
        return new MultipleTestResult(adjusted, reject, alpha, "Holm");
    }

    private static int[] SortedOrder(IReadOnlyList<double> pValues) => Enumerable.Range(0, pValues.Count).OrderBy(i => pValues[i]).ToArray();

    private static void CheckPValues(IReadOnlyList<double> pValues, double alpha)
    {
        Check.NotEmpty(pValues, nameof(pValues));
        for (int i = 0; i < pValues.Count; i++) Check.Probability(pValues[i], nameof(pValues), i);
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "expected a significance level strictly between 0 and 1.");
    }

    /// <summary>Two-sided Student t p-value: P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, ½), the regularised incomplete beta.</summary>
    internal static double StudentTwoSided(double t, double degreesOfFreedom) =>
        SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + t * t));

    internal static double[] Differences(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check.SameLength(a, b, nameof(a), nameof(b));
        Check.Finite(a, nameof(a));
        Check.Finite(b, nameof(b));
        var d = new double[a.Count];
        for (int i = 0; i < d.Length; i++) d[i] = a[i] - b[i];
        return d;
    }

    /// <summary>Sample variance with n − 1 in the denominator (numpy ddof=1); exactly 0 for constant values.</summary>
    internal static double Variance(IReadOnlyList<double> x)
    {
        // The rounded mean of equal values can miss them (three 0.7s average to 0.7000000000000001), which would turn
        // "no spread" into a variance of 1e-33 and a t of 1e15.
        if (x.All(v => v == x[0])) return 0;
        double mean = x.Average();
        return x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1);
    }

    internal static double StandardDeviation(IReadOnlyList<double> x) => Math.Sqrt(Variance(x));

    // 1-based ranks with ties sharing their mean rank (scipy rankdata "average"); tieSizes lists each tie group's size.
    private static double[] AverageRanks(double[] values, out List<int> tieSizes)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        tieSizes = [];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            if (end > start) tieSizes.Add(end - start + 1);
            for (int j = start; j <= end; j++) ranks[order[j]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }
}
