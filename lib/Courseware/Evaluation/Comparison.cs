using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>
/// What <see cref="Stats.Compare(IReadOnlyList{double}, IReadOnlyList{double}, string, string, double, int, int)"/>
/// returns: the difference between two systems on the same items, its bootstrap confidence interval, a significance
/// test's p-value and the effect size, with a one-paragraph reading in words.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class Comparison
{
    internal Comparison(string nameA, string nameB, double meanA, double meanB, BootstrapInterval interval,
        string test, double pValue, double effectSize, double alpha, int items)
    {
        NameA = nameA; NameB = nameB; MeanA = meanA; MeanB = meanB; Interval = interval;
        Test = test; PValue = pValue; EffectSize = effectSize; Alpha = alpha; Items = items;
    }

    /// <summary>Display name of system A.</summary>
    public string NameA { get; }
    /// <summary>Display name of system B.</summary>
    public string NameB { get; }
    /// <summary>Mean per-item score of A.</summary>
    public double MeanA { get; }
    /// <summary>Mean per-item score of B.</summary>
    public double MeanB { get; }
    /// <summary>mean(A) − mean(B).</summary>
    public double Difference => Interval.Difference;
    /// <summary>Paired bootstrap interval of <see cref="Difference"/>.</summary>
    public BootstrapInterval Interval { get; }
    /// <summary>The significance test used: McNemar for 0/1 scores, otherwise the paired t-test.</summary>
    public string Test { get; }
    /// <summary>Two-sided p-value of <see cref="Test"/>.</summary>
    public double PValue { get; }
    /// <summary>Paired Cohen's d (d_z) of A − B.</summary>
    public double EffectSize { get; }
    /// <summary>Cohen's words for |d|: negligible, small, medium or large.</summary>
    public string EffectSizeInWords => Stats.DescribeEffectSize(EffectSize);
    /// <summary>Significance level the verdict uses.</summary>
    public double Alpha { get; }
    /// <summary>Number of paired items.</summary>
    public int Items { get; }
    /// <summary>p &lt; α.</summary>
    public bool Significant => PValue < Alpha;

    /// <summary>The reading in words, e.g. "B scores 0.07 higher than A …".</summary>
    public string Summary
    {
        get
        {
            var c = CultureInfo.InvariantCulture;
            string who = Difference == 0 ? $"{NameA} and {NameB} score the same on average"
                : Difference > 0 ? $"{NameA} scores {Html.FormatNumber(Difference)} higher than {NameB} on average"
                : $"{NameB} scores {Html.FormatNumber(-Difference)} higher than {NameA} on average";
            string verdict = Significant
                ? $"At α = {Alpha.ToString(c)} the difference is statistically significant" + (EffectSizeInWords == "negligible" ? ", but the effect is negligible." : ".")
                : $"At α = {Alpha.ToString(c)} the difference is not statistically significant: the data do not show that either system is better.";
            return $"{who} over {Items} items ({NameA} − {NameB} = {Html.FormatNumber(Difference)}, " +
                   $"{(Interval.Confidence * 100).ToString("0.#", c)} % CI {Html.FormatNumber(Interval.Low)} to {Html.FormatNumber(Interval.High)} by paired bootstrap with {Interval.Resamples.ToString("N0", c)} resamples). " +
                   $"{Test}: p = {TestResult.FormatP(PValue)}. Effect size: Cohen's d = {EffectSize.ToString("0.00", c)} ({EffectSizeInWords}). {verdict}";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Summary;
}

public static partial class Stats
{
    /// <summary>
    /// Compares two systems scored on the same items, in one call: the mean difference A − B with its paired bootstrap
    /// CI, a p-value (McNemar's test when every score is 0 or 1 — correct/incorrect — otherwise the paired t-test),
    /// and paired Cohen's d, stated in words. The interval is the percentile bootstrap, which covers only about 90 % at
    /// 15 items or fewer: there, report <see cref="PairedBootstrap(IReadOnlyList{double}, IReadOnlyList{double}, int, double, int, BootstrapMethod)"/>
    /// with <see cref="BootstrapMethod.BiasCorrectedAccelerated"/> instead.
    /// </summary>
    /// <example><code>Stats.Compare(scoresLarge, scoresSmall, "large", "small")</code></example>
    public static Comparison Compare(IReadOnlyList<double> a, IReadOnlyList<double> b, string nameA = "A", string nameB = "B",
        double alpha = 0.05, int resamples = 10_000, int seed = 0)
    {
        Check.SameLength(a, b, nameof(a), nameof(b));
        if (a.Count < 2) throw new ArgumentException("comparing systems needs at least 2 items.", nameof(a));
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "expected a significance level strictly between 0 and 1.");
        var interval = PairedBootstrap(a, b, resamples, 0.95, seed);
        bool binary = a.Concat(b).All(x => x is 0 or 1);
        double p;
        string test;
        if (binary)
        {
            var mcnemar = McNemar(a.Select(x => x == 1).ToArray(), b.Select(x => x == 1).ToArray());
            (p, test) = (mcnemar.PValue, mcnemar.Exact ? "McNemar exact test" : "McNemar χ² test");
        }
        else (p, test) = (PairedTTest(a, b).PValue, "paired t-test");
        return new Comparison(nameA, nameB, a.Average(), b.Average(), interval, test, p, CohensDPaired(a, b), alpha, a.Count);
    }

    /// <summary>Compares two classifiers from per-item correctness (true = right): McNemar, bootstrap CI of the accuracy difference, Cohen's d.</summary>
    public static Comparison Compare(IReadOnlyList<bool> correctA, IReadOnlyList<bool> correctB, string nameA = "A", string nameB = "B",
        double alpha = 0.05, int resamples = 10_000, int seed = 0)
    {
        Check.SameLength(correctA, correctB, nameof(correctA), nameof(correctB));
        return Compare(correctA.Select(x => x ? 1.0 : 0.0).ToArray(), correctB.Select(x => x ? 1.0 : 0.0).ToArray(), nameA, nameB, alpha, resamples, seed);
    }
}
