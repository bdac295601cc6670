using Courseware.Notebooks;
using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

// Expected values from reference/make_reference.py (scipy 1.10.1, statsmodels 0.13.5, scikit-learn 1.2.1), same inputs.
public class SignificanceTests
{
    [Theory]
    [InlineData(3, 9, 3.0, 0.14599609375, 2.0833333333333335, 0.14891467317876161)]
    [InlineData(0, 5, 0.0, 0.0625, 3.2, 0.07363827012030258)]
    [InlineData(12, 30, 12.0, 0.007915897334896727, 6.880952380952381, 0.008711912962379598)]
    [InlineData(25, 25, 25.0, 1.0, 0.02, 0.887537083981715)]
    public void McNemar_matches_statsmodels(int b, int c, double exactStat, double exactP, double chi2Stat, double chi2P)
    {
        var exact = Stats.McNemar(b, c, McNemarMethod.Exact);
        Assert.Equal(exactStat, exact.Statistic, 1e-12);
        Assert.Equal(exactP, exact.PValue, 1e-12);
        var chi2 = Stats.McNemar(b, c, McNemarMethod.ChiSquare);
        Assert.Equal(chi2Stat, chi2.Statistic, 1e-12);
        Assert.Equal(chi2P, chi2.PValue, 1e-12);
        // Auto: exact below 25 discordant pairs.
        Assert.Equal(b + c < 25, Stats.McNemar(b, c).Exact);
    }

    [Fact]
    public void McNemar_counts_discordant_items_from_correctness()
    {
        // Items: both right, only A right ×2, only B right, both wrong.
        var r = Stats.McNemar([true, true, true, false, false], [true, false, false, true, false]);
        Assert.Equal(2, r.OnlyACorrect);
        Assert.Equal(1, r.OnlyBCorrect);
        Assert.Equal(1.0, r.PValue, 1e-12); // 2·P(X ≤ 1), X ~ Bin(3, ½) = 2·4/8 → capped at 1
        Assert.Equal(1.0, Stats.McNemar(0, 0).PValue);
    }

    private static readonly double[] Xa = [0.61, 0.72, 0.55, 0.80, 0.67, 0.59, 0.74, 0.70, 0.63, 0.77, 0.58, 0.69];
    private static readonly double[] Xb = [0.58, 0.70, 0.56, 0.71, 0.60, 0.53, 0.725, 0.62, 0.605, 0.72, 0.615, 0.65];

    [Fact]
    public void Paired_t_test_matches_scipy()
    {
        var t = Stats.PairedTTest(Xa, Xb);
        Assert.Equal(3.4227283926191387, t.Statistic, 1e-10);
        Assert.Equal(0.005695721748581365, t.PValue, 1e-12);
    }

    [Fact]
    public void Wilcoxon_matches_scipy_exact_and_approximate()
    {
        var exact = Stats.Wilcoxon(Xa, Xb);
        Assert.Equal(7.0, exact.Statistic, 1e-12);
        Assert.Equal(0.00927734375, exact.PValue, 1e-12);
        Assert.Contains("exact", exact.Test);
        // A zero difference and tied |d| force the normal approximation (scipy switches too).
        double[] a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
        double[] b = [1.5, 2, 2, 3, 5.5, 5, 8, 6, 9, 9, 10, 10.5, 12, 15];
        var approx = Stats.Wilcoxon(a, b);
        Assert.Equal(16.0, approx.Statistic, 1e-12);
        Assert.Equal(0.061997461246264915, approx.PValue, 1e-12);
        Assert.Contains("normal approximation", approx.Test);
    }

    [Fact]
    public void Cohens_d_matches_the_numpy_formulas()
    {
        Assert.Equal(0.9880565794208174, Stats.CohensDPaired(Xa, Xb), 1e-12);
        Assert.Equal(2.085179322101537, Stats.CohensD([5.1, 4.8, 6.0, 5.5, 5.9, 4.7, 5.3], [4.2, 4.9, 4.4, 5.0, 3.8, 4.6, 4.1, 4.5, 4.0]), 1e-12);
        Assert.Equal("negligible", Stats.DescribeEffectSize(-0.1));
        Assert.Equal("small", Stats.DescribeEffectSize(0.3));
        Assert.Equal("medium", Stats.DescribeEffectSize(-0.6));
        Assert.Equal("large", Stats.DescribeEffectSize(0.99));
    }

    private static readonly double[] PValues = [0.01, 0.04, 0.03, 0.005, 0.2, 0.049, 0.5, 0.001];

    [Fact]
    public void Benjamini_hochberg_matches_statsmodels()
    {
        var r = Stats.BenjaminiHochberg(PValues);
        double[] expected = [0.02666666666666667, 0.064, 0.06, 0.02, 0.2285714285714286, 0.06533333333333334, 0.5, 0.008];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], r.AdjustedPValues[i], 1e-12);
        Assert.Equal([true, false, false, true, false, false, false, true], r.Reject);
    }

    // p-values that sit exactly on α·k/m: statsmodels compares p₍ₖ₎ ≤ α·(k/m) and rejects all of them.
    [Theory]
    [InlineData(new[] { 0.05, 0.05, 0.05 }, new[] { true, true, true }, new[] { 0.05, 0.05, 0.05 })]
    [InlineData(new[] { 0.001, 0.002, 0.05 }, new[] { true, true, true }, new[] { 0.003, 0.003, 0.05 })]
    public void Benjamini_hochberg_rejects_p_values_on_the_boundary_like_statsmodels(double[] pValues, bool[] reject, double[] adjusted)
        => AssertDecisions(Stats.BenjaminiHochberg(pValues, 0.05), reject, adjusted);

    private static void AssertDecisions(MultipleTestResult r, bool[] reject, double[] adjusted)
    {
        Assert.Equal(reject, r.Reject);
        for (int i = 0; i < adjusted.Length; i++) Assert.Equal(adjusted[i], r.AdjustedPValues[i], 1e-15);
    }

    [Theory]
    [InlineData(new[] { 0.01, 0.04, 0.03, 0.005, 0.2, 0.049, 0.5, 0.001 }, new[] { false, false, false, true, false, false, false, true }, new[] { 0.06, 0.16, 0.15, 0.035, 0.4, 0.16, 0.5, 0.008 })]
    [InlineData(new[] { 0.05, 0.05, 0.05 }, new[] { false, false, false }, new[] { 0.15000000000000002, 0.15000000000000002, 0.15000000000000002 })]
    [InlineData(new[] { 0.001, 0.002, 0.05 }, new[] { true, true, true }, new[] { 0.003, 0.004, 0.05 })]
    public void Holm_matches_statsmodels(double[] pValues, bool[] reject, double[] adjusted)
    {
        var r = Stats.Holm(pValues, 0.05);
        AssertDecisions(r, reject, adjusted);
        Assert.Equal("Holm", r.Method);
    }

    [Theory]
    [InlineData(3, 9, 3.0, 0.08326451666355042)]
    [InlineData(12, 30, 7.714285714285714, 0.00547855324254737)]
    [InlineData(25, 25, 0.0, 1.0)]
    public void McNemar_without_continuity_correction_matches_statsmodels(int b, int c, double statistic, double p)
    {
        var r = Stats.McNemar(b, c, McNemarMethod.ChiSquareWithoutCorrection);
        Assert.Equal(statistic, r.Statistic, 1e-12);
        Assert.Equal(p, r.PValue, 1e-12);
        Assert.False(r.Exact);
        Assert.Contains("without continuity correction", r.ToString());
        Assert.Contains("with continuity correction", Stats.McNemar(b, c, McNemarMethod.ChiSquare).ToString());
    }

    // statsmodels proportion_confint(k, n, alpha, method="wilson" / "beta").
    [Theory]
    [InlineData(7, 20, 0.95, 0.18119182410108203, 0.5671457233147638, 0.15390920478454118, 0.5921885345328282)]
    [InlineData(0, 12, 0.95, 0.0, 0.24249400665524096, 0.0, 0.2646484693970512)]
    [InlineData(12, 12, 0.95, 0.7575059933447589, 0.9999999999999999, 0.7353515306029488, 1.0)]
    [InlineData(45, 50, 0.9, 0.8084624858484291, 0.950470965522555, 0.8011669974835816, 0.9597634095978854)]
    [InlineData(1, 1, 0.95, 0.2065493143772374, 1.0, 0.025, 1.0)]
    public void Binomial_intervals_match_statsmodels(int successes, int count, double confidence, double wilsonLow, double wilsonHigh, double exactLow, double exactHigh)
    {
        var wilson = Stats.WilsonInterval(successes, count, confidence);
        Assert.Equal(wilsonLow, wilson.Low, 1e-12);
        Assert.Equal(wilsonHigh, wilson.High, 1e-12);
        Assert.Equal((double)successes / count, wilson.Proportion, 1e-15);
        var exact = Stats.ClopperPearsonInterval(successes, count, confidence);
        Assert.Equal(exactLow, exact.Low, 1e-10);
        Assert.Equal(exactHigh, exact.High, 1e-10);
    }

    [Fact]
    public void Bonferroni_matches_statsmodels()
    {
        var r = Stats.Bonferroni(PValues);
        double[] expected = [0.08, 0.32, 0.24, 0.04, 1.0, 0.392, 1.0, 0.008];
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], r.AdjustedPValues[i], 1e-12);
        Assert.Equal([false, false, false, true, false, false, false, true], r.Reject);
    }

    [Fact]
    public void Seed_summary_matches_scipy_t_interval()
    {
        var s = Stats.SeedSummary([0.812, 0.795, 0.830, 0.801, 0.822, 0.809, 0.817], name: "accuracy");
        Assert.Equal(0.8122857142857144, s.Mean, 1e-12);
        Assert.Equal(0.012023785950000426, s.StandardDeviation, 1e-12);
        Assert.Equal(0.8011655669818649, s.Low, 1e-9);
        Assert.Equal(0.8234058615895639, s.High, 1e-9);
        Assert.StartsWith("accuracy: 0.812286 ± 0.0120238 (n = 7 seeds", s.ToString());
    }

    [Fact]
    public void Kappa_and_raw_agreement_match_scikit_learn()
    {
        string[] a = ["A", "B", "tie", "A", "A", "B", "B", "tie", "A", "B", "A", "A"];
        string[] b = ["A", "B", "A", "A", "B", "B", "tie", "tie", "A", "B", "A", "B"];
        Assert.Equal(0.4666666666666667, Stats.CohensKappa(a, b), 1e-12);
        Assert.Equal(0.6666666666666666, Stats.RawAgreement(a, b), 1e-12);
        Assert.True(double.IsNaN(Stats.CohensKappa(["A", "A"], ["A", "A"]))); // chance agreement is 1: undefined
    }

    // Documented limits where scipy returns NaN (reference/make_reference.py, "degenerate inputs"): scipy's ttest_rel
    // gives (inf, 0) and (nan, nan), its Welch test (≈ −2.5e15, 1.5e-31) and (nan, nan); statsmodels' McNemar is
    // (0, 1) exact, (inf, 0) and (nan, nan) as χ².
    [Fact]
    public void Degenerate_inputs_return_the_documented_limits()
    {
        var t = Stats.PairedTTest([1.0, 2.0, 3.0], [0.5, 1.5, 2.5]);
        Assert.Equal((double.PositiveInfinity, 0.0), (t.Statistic, t.PValue));
        t = Stats.PairedTTest([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]);
        Assert.True(double.IsNaN(t.Statistic));
        Assert.Equal(1, t.PValue);
        var w = Stats.WelchTTest([0.5, 0.5, 0.5], [0.7, 0.7, 0.7]);
        Assert.Equal((double.PositiveInfinity, 0.0), (w.Statistic, w.PValue));
        w = Stats.WelchTTest([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
        Assert.True(double.IsNaN(w.Statistic));
        Assert.Equal(1, w.PValue);
        foreach (var method in Enum.GetValues<McNemarMethod>())
            Assert.Equal((0.0, 1.0), (Stats.McNemar(0, 0, method).Statistic, Stats.McNemar(0, 0, method).PValue));
    }

    [Fact]
    public void Bad_inputs_are_explained()
    {
        var e = Assert.Throws<ArgumentException>(() => Stats.BenjaminiHochberg([0.1, 1.2]));
        Assert.Contains("pValues[1] is 1.2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Stats.SeedSummary([0.8]));
        Assert.Contains("at least 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Stats.Wilcoxon([1.0, 2.0], [1.0, 2.0]));
        Assert.Contains("every difference", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Stats.McNemar(-1, 2));
    }
}

public class BootstrapTests
{
    private static double[] Scores(int n, int seed, double shift)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() + shift).ToArray();
    }

    [Fact]
    public void Interval_agrees_with_the_closed_form_standard_error_of_the_mean()
    {
        // For the mean, the bootstrap distribution has standard error σ̂/√n with σ̂ the plug-in (1/n) standard deviation,
        // and for n = 2000 it is close to normal: the 95 % percentile interval ≈ observed ± 1.96·σ̂/√n.
        var a = Scores(2000, 1, 0.05);
        var b = Scores(2000, 2, 0);
        var d = a.Zip(b, (x, y) => x - y).ToArray();
        double mean = d.Average();
        double se = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / d.Length) / Math.Sqrt(d.Length);
        var ci = Stats.PairedBootstrap(a, b, resamples: 10_000, seed: 7);
        Assert.Equal(mean, ci.Difference, 1e-12);
        Assert.Equal(mean - 1.96 * se, ci.Low, 0.05 * se);
        Assert.Equal(mean + 1.96 * se, ci.High, 0.05 * se);
    }

    [Fact]
    public void Same_seed_same_interval_and_other_seed_other_interval()
    {
        var a = Scores(300, 3, 0.02);
        var b = Scores(300, 4, 0);
        Assert.Equal(Stats.PairedBootstrap(a, b, seed: 11), Stats.PairedBootstrap(a, b, seed: 11));
        Assert.NotEqual(Stats.PairedBootstrap(a, b, seed: 11).Low, Stats.PairedBootstrap(a, b, seed: 12).Low);
    }

    [Fact]
    public void Metric_overload_draws_the_same_samples_as_the_mean_overload()
    {
        var a = Scores(200, 5, 0.1);
        var b = Scores(200, 6, 0);
        var fast = Stats.PairedBootstrap(a, b, resamples: 500, seed: 3);
        var general = Stats.PairedBootstrap(200, idx => idx.Average(i => a[i]), idx => idx.Average(i => b[i]), resamples: 500, seed: 3);
        Assert.Equal(fast.Difference, general.Difference, 1e-12);
        Assert.Equal(fast.Low, general.Low, 1e-12);
        Assert.Equal(fast.High, general.High, 1e-12);
        Assert.Equal(fast.PValue, general.PValue, 1e-12);
    }

    [Fact]
    public void Corpus_metrics_are_bootstrapped_by_recomputing_them_on_each_resample()
    {
        string[] refs = ["the cat sat on the mat", "a dog barked at the postman", "it rained all day long", "she read the book twice"];
        string[] hypA = ["the cat sat on the mat", "a dog barked at a postman", "it rained all day", "she read the book twice"];
        string[] hypB = ["a cat is on a mat", "the dog barks", "rain all day", "she reads books"];
        double Bleu4(string[] hyps, IReadOnlyList<int> idx) => Bleu.Corpus(idx.Select(i => hyps[i]).ToArray(), idx.Select(i => refs[i]).ToArray()).Score;
        var ci = Stats.PairedBootstrap(4, idx => Bleu4(hypA, idx), idx => Bleu4(hypB, idx), resamples: 200, seed: 1);
        Assert.Equal(Bleu.Corpus(hypA, refs).Score - Bleu.Corpus(hypB, refs).Score, ci.Difference, 1e-9);
        Assert.True(ci.Low <= ci.Difference && ci.Difference <= ci.High);
        Assert.Equal(ci, Stats.PairedBootstrap(4, idx => Bleu4(hypA, idx), idx => Bleu4(hypB, idx), resamples: 200, seed: 1));
    }

    [Fact]
    public void Constant_difference_gives_a_degenerate_interval()
    {
        var ci = Stats.PairedBootstrap([1.0, 2.0, 3.0], [0.5, 1.5, 2.5], resamples: 100);
        Assert.Equal(0.5, ci.Low, 1e-12);
        Assert.Equal(0.5, ci.High, 1e-12);
        Assert.Equal(0, ci.PValue);
        Assert.True(ci.ExcludesZero);
    }

    // Skewed paired scores, n = 12. reference/make_reference.py transcribes Xoshiro256 to draw the same resamples in
    // Python, then runs scipy 1.10.1's _bca_interval (what scipy.stats.bootstrap(method="BCa", paired=True) calls) and
    // numpy.percentile on them.
    private static readonly double[] Ga12 = [0.427, 0.83758, 1.18753, 0.67174, 0.34104, 0.564, 0.49437, 0.67953, 0.61611, 0.31774, 0.33574, 0.51069];
    private static readonly double[] Gb12 = [0.5422, 0.7371, 0.69962, 0.84489, 0.57382, 0.63044, 0.91694, 0.61295, 0.54553, 0.76986, 0.6597, 0.8384];

    [Theory]
    [InlineData(0, 2000, 0.95, -0.23690674128820352, 0.04996073480675143, -0.2515440208333333, 0.0295550833333332)]
    [InlineData(7, 999, 0.9, -0.22209602598049463, 0.03852788115117413, -0.23353925000000003, 0.016468083333333286)]
    public void Bca_interval_matches_scipy_on_the_same_resamples(int seed, int resamples, double confidence,
        double low, double high, double percentileLow, double percentileHigh)
    {
        var percentile = Stats.PairedBootstrap(Ga12, Gb12, resamples, confidence, seed);
        Assert.Equal(percentileLow, percentile.Low, 1e-12);
        Assert.Equal(percentileHigh, percentile.High, 1e-12);
        var bca = Stats.PairedBootstrap(Ga12, Gb12, resamples, confidence, seed, BootstrapMethod.BiasCorrectedAccelerated);
        Assert.Equal(low, bca.Low, 1e-12);
        Assert.Equal(high, bca.High, 1e-12);
        Assert.Equal(percentile.PValue, bca.PValue);
        Assert.Equal(BootstrapMethod.BiasCorrectedAccelerated, bca.Method);
        Assert.Contains("BCa", bca.ToString());
        // The metric overload jackknifes the metric itself and gets the same interval.
        var general = Stats.PairedBootstrap(Ga12.Length, idx => idx.Average(i => Ga12[i]), idx => idx.Average(i => Gb12[i]),
            resamples, confidence, seed, BootstrapMethod.BiasCorrectedAccelerated);
        Assert.Equal(low, general.Low, 1e-12);
        Assert.Equal(high, general.High, 1e-12);
    }

    [Fact]
    public void Bca_of_degenerate_data_is_the_single_value_where_scipy_returns_nan()
    {
        // Constant differences: every resample and jackknife value is 0.5, so there is no skew to correct; scipy
        // returns NaN (0/0 acceleration), we return the percentile interval [0.5, 0.5]. One item: the same.
        var ci = Stats.PairedBootstrap([1.0, 2.0, 3.0], [0.5, 1.5, 2.5], resamples: 100, method: BootstrapMethod.BiasCorrectedAccelerated);
        Assert.Equal((0.5, 0.5), (ci.Low, ci.High));
        ci = Stats.PairedBootstrap([0.7], [0.2], resamples: 100, method: BootstrapMethod.BiasCorrectedAccelerated);
        Assert.Equal(0.5, ci.Low, 1e-15);
        Assert.Equal(0.5, ci.High, 1e-15);
    }

    [Fact]
    public void Quantile_interpolates_like_numpy() =>
        // numpy.percentile([1, 2, 3, 4], 25) = 1.75
        Assert.Equal(1.75, Stats.Quantile([1, 2, 3, 4], 0.25), 1e-12);
}

public class CompareTests
{
    [Fact]
    public void Correctness_data_uses_mcnemar_and_reads_in_words()
    {
        // 40 items: both right on 20, only B right on 12, only A right on 3, both wrong on 5.
        var a = new List<bool>();
        var b = new List<bool>();
        void Add(int count, bool x, bool y) { for (int i = 0; i < count; i++) { a.Add(x); b.Add(y); } }
        Add(20, true, true); Add(12, false, true); Add(3, true, false); Add(5, false, false);
        var c = Stats.Compare(a, b, "small", "large");
        Assert.Equal(23.0 / 40 - 32.0 / 40, c.Difference, 1e-12);
        Assert.Equal("McNemar exact test", c.Test);
        Assert.Equal(0.03515625, c.PValue, 1e-12); // 2·P(X ≤ 3), X ~ Bin(15, ½) = 2·576/32768
        Assert.True(c.Significant);
        Assert.StartsWith("large scores 0.225 higher than small on average over 40 items", c.Summary);
        Assert.Contains("Cohen's d = -0.39 (small)", c.Summary);
        Assert.Contains("statistically significant", c.Summary);
        Assert.True(c.Interval.High < 0);
    }

    [Fact]
    public void Continuous_scores_use_the_paired_t_test()
    {
        double[] a = [0.61, 0.72, 0.55, 0.80, 0.67, 0.59, 0.74, 0.70, 0.63, 0.77, 0.58, 0.69];
        double[] b = [0.58, 0.70, 0.56, 0.71, 0.60, 0.53, 0.725, 0.62, 0.605, 0.72, 0.615, 0.65];
        var c = Stats.Compare(a, b);
        Assert.Equal("paired t-test", c.Test);
        Assert.Equal(0.005695721748581365, c.PValue, 1e-12);
        Assert.Equal(0.9880565794208174, c.EffectSize, 1e-12);
        Assert.Equal("large", c.EffectSizeInWords);
    }

    [Fact]
    public void Identical_systems_are_reported_as_the_same_not_as_an_error()
    {
        var c = Stats.Compare([1.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]);
        Assert.Equal(0, c.Difference);
        Assert.Equal(1, c.PValue);
        Assert.Equal("negligible", c.EffectSizeInWords);
        Assert.StartsWith("A and B score the same on average", c.Summary);
        Assert.Contains("not statistically significant", c.Summary);
    }

    [Fact]
    public void Html_escapes_system_names()
    {
        var html = HtmlRenderers.Render(Stats.Compare([1.0, 0.0, 1.0], [0.0, 0.0, 1.0], "<script>", "B"));
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
    }
}
