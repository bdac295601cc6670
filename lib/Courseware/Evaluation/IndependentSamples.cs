using System.Globalization;
using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Courseware.Evaluation;

/// <summary>
/// A test between two independent groups (an A/B test: different requests went to each arm), with the difference
/// B − A and its confidence interval.
/// </summary>
/// <param name="Test">The test's name.</param>
/// <param name="CountA">Observations in group A.</param>
/// <param name="CountB">Observations in group B.</param>
/// <param name="MeanA">Mean outcome of A (for 0/1 outcomes, the success rate).</param>
/// <param name="MeanB">Mean outcome of B.</param>
/// <param name="Low">Lower end of the confidence interval of <see cref="Difference"/>.</param>
/// <param name="High">Upper end.</param>
/// <param name="Confidence">Confidence level of the interval (e.g. 0.95).</param>
/// <param name="Statistic">z or t.</param>
/// <param name="PValue">Two-sided p-value of H₀: the two groups have the same mean.</param>
public sealed record IndependentTestResult(string Test, int CountA, int CountB, double MeanA, double MeanB,
    double Low, double High, double Confidence, double Statistic, double PValue)
{
    /// <summary>MeanB − MeanA.</summary>
    public double Difference => MeanB - MeanA;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Test}: B − A = {Difference:0.####} ({Confidence:0%} CI [{Low:0.####}, {High:0.####}]), statistic = {Statistic:0.####}, p = {TestResult.FormatP(PValue)}");
}

public static partial class Stats
{
    /// <summary>
    /// Two-proportion z-test (statsmodels' <c>proportions_ztest([sA, sB], [nA, nB])</c>): z = (p̂B − p̂A) / √(p̂(1 − p̂)(1/nA + 1/nB))
    /// with the pooled rate p̂ = (sA + sB) / (nA + nB), two-sided p. The interval of p̂B − p̂A is Wald's, unpooled
    /// (statsmodels' <c>confint_proportions_2indep(..., method="wald")</c>). When both groups are all successes or all
    /// failures there is no variance: statistic NaN, p = 1.
    /// </summary>
    /// <example><code>Stats.TwoProportionZTest(successesA: 120, countA: 1000, successesB: 150, countB: 1000)</code></example>
    public static IndependentTestResult TwoProportionZTest(int successesA, int countA, int successesB, int countB, double confidence = 0.95)
    {
        CheckCounts(successesA, countA, nameof(successesA));
        CheckCounts(successesB, countB, nameof(successesB));
        CheckConfidence(confidence);
        double pA = (double)successesA / countA, pB = (double)successesB / countB;
        double pooled = (double)(successesA + successesB) / (countA + countB);
        double se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / countA + 1.0 / countB));
        double z = se == 0 ? double.NaN : (pB - pA) / se;
        double p = se == 0 ? 1 : SpecialFunctions.Erfc(Math.Abs(z) / Math.Sqrt(2));
        double half = Normal.InvCDF(0, 1, (1 + confidence) / 2) * Math.Sqrt(pA * (1 - pA) / countA + pB * (1 - pB) / countB);
        return new IndependentTestResult("two-proportion z-test", countA, countB, pA, pB, pB - pA - half, pB - pA + half, confidence, z, p);
    }

    /// <summary>The two-proportion z-test on 0/1 outcomes of two groups.</summary>
    public static IndependentTestResult TwoProportionZTest(IReadOnlyList<bool> outcomesA, IReadOnlyList<bool> outcomesB, double confidence = 0.95) =>
        TwoProportionZTest(outcomesA.Count(x => x), outcomesA.Count, outcomesB.Count(x => x), outcomesB.Count, confidence);

    /// <summary>
    /// Welch's t-test for two independent samples with possibly different variances (scipy's
    /// <c>ttest_ind(b, a, equal_var=False)</c>): t = (mean B − mean A) / √(s²A/nA + s²B/nB), Welch–Satterthwaite degrees
    /// of freedom, two-sided p; the interval is mean B − mean A ± t_{ν} · SE.
    /// Two constant groups have SE = 0: different constants give t = ±∞, p = 0 and the interval [B − A, B − A]; equal ones
    /// give t = NaN, p = 1. scipy returns NaN for both, or for different constants a huge finite t when rounding leaves
    /// a variance of 1e-33 (e.g. three 0.7s); the limits are what the data say, and p stays usable in corrections.
    /// </summary>
    public static IndependentTestResult WelchTTest(IReadOnlyList<double> a, IReadOnlyList<double> b, double confidence = 0.95)
    {
        Check.Finite(a, nameof(a));
        Check.Finite(b, nameof(b));
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException($"Welch's t-test needs at least 2 values per group; got {a.Count} and {b.Count}.", a.Count < 2 ? nameof(a) : nameof(b));
        CheckConfidence(confidence);
        double va = Variance(a) / a.Count, vb = Variance(b) / b.Count, se = Math.Sqrt(va + vb);
        double meanA = a.Average(), meanB = b.Average(), diff = meanB - meanA;
        if (se == 0)
            return new IndependentTestResult("Welch's t-test", a.Count, b.Count, meanA, meanB, diff, diff, confidence,
                diff == 0 ? double.NaN : Math.CopySign(double.PositiveInfinity, diff), diff == 0 ? 1 : 0);
        double df = (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        double t = diff / se, half = StudentT.InvCDF(0, 1, df, (1 + confidence) / 2) * se;
        return new IndependentTestResult("Welch's t-test", a.Count, b.Count, meanA, meanB, diff - half, diff + half, confidence, t, StudentTwoSided(t, df));
    }

    private static void CheckCounts(int successes, int count, string name)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(name, count, "each group needs at least one observation.");
        if (successes < 0 || successes > count) throw new ArgumentOutOfRangeException(name, successes, $"expected 0 to {count} successes.");
    }

    private static void CheckConfidence(double confidence)
    {
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "expected a confidence level strictly between 0 and 1.");
    }
}
