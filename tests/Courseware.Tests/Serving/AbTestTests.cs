using Courseware.Notebooks;
using Courseware.Evaluation;
using Courseware.Registry;
using Courseware.Serving;

namespace Courseware.Tests.Serving;

/// <summary>
/// The A/B statistics (values from statsmodels 0.13.5 / scipy 1.10.1, printed by reference/ab_reference.py) and the
/// traffic split (counts checked against the central 99.99 % of the binomial, from the same script).
/// </summary>
public sealed class AbTestTests
{
    [Theory]
    // proportions_ztest([sB, sA], [nB, nA]) and confint_proportions_2indep(sB, nB, sA, nA, method="wald")
    [InlineData(120, 1000, 150, 1000, 0.05, 1.963049807622355, 0.04964038686536878, 7.60288212977786e-05, 0.05992397117870222)]
    [InlineData(24, 60, 36, 60, 0.05, 2.1908902300206643, 0.028459736916310565, 0.024695491884683618, 0.3753045081153163)]
    [InlineData(7, 20, 9, 22, 0.1, 0.3938446855851131, 0.6936957108802297, -0.18688472252311925, 0.30506654070493755)]
    public void Two_proportion_z_test_matches_statsmodels(int sa, int na, int sb, int nb, double alpha, double z, double p, double low, double high)
    {
        var r = Stats.TwoProportionZTest(sa, na, sb, nb, 1 - alpha);
        Assert.Equal(z, r.Statistic, 1e-9);
        Assert.Equal(p, r.PValue, 1e-9);
        Assert.Equal(low, r.Low, 1e-9);
        Assert.Equal(high, r.High, 1e-9);
        Assert.Equal((double)sb / nb - (double)sa / na, r.Difference, 1e-12);
    }

    [Fact]
    public void Welch_t_test_matches_scipy()
    {
        double[] a = [1.2, 0.0, 3.4, 2.2, 0.0, 1.8, 2.9, 0.4, 1.1, 2.5];
        double[] b = [2.1, 3.3, 0.0, 4.2, 2.8, 3.9, 1.7, 2.6];
        var r = Stats.WelchTTest(a, b);
        // scipy.stats.ttest_ind(b, a, equal_var=False); interval from t.ppf(0.975, df = 14.32072002124881)
        Assert.Equal(1.6844077931176409, r.Statistic, 1e-9);
        Assert.Equal(0.11376395289314577, r.PValue, 1e-9);
        Assert.Equal(-0.27741401678719924, r.Low, 1e-9);
        Assert.Equal(2.3274140167872, r.High, 1e-9);
    }

    [Fact]
    public void Degenerate_and_invalid_inputs_are_explained()
    {
        var same = Stats.TwoProportionZTest(10, 10, 5, 5);
        Assert.True(double.IsNaN(same.Statistic));
        Assert.Equal(1, same.PValue);
        Assert.Throws<ArgumentOutOfRangeException>("successesA", () => Stats.TwoProportionZTest(11, 10, 1, 5));
        Assert.Throws<ArgumentOutOfRangeException>("successesB", () => Stats.TwoProportionZTest(1, 10, 1, 0));
        var e = Assert.Throws<ArgumentException>("b", () => Stats.WelchTTest([1.0, 2.0], [1.0]));
        Assert.Contains("at least 2 values per group", e.Message);
    }

    [Fact]
    public void Unkeyed_requests_split_in_the_configured_share()
    {
        var split = new TrafficSplit(0.1, seed: 7);
        var challenger = Enumerable.Range(0, 4000).Count(_ => split.Route() == Arm.Challenger);
        // scipy.stats.binom.ppf(0.00005 / 0.99995, 4000, 0.1) = 328 / 476
        Assert.InRange(challenger, 328, 476);
        // The same seed routes the same way: a run of the router is reproducible.
        var a = new TrafficSplit(0.1, seed: 7);
        var b = new TrafficSplit(0.1, seed: 7);
        Assert.Equal(Enumerable.Range(0, 200).Select(_ => a.Route()), Enumerable.Range(0, 200).Select(_ => b.Route()));
    }

    [Fact]
    public void Keyed_requests_are_sticky_and_split_in_the_configured_share()
    {
        var split = new TrafficSplit(0.3, seed: 1);
        var keys = Enumerable.Range(0, 2000).Select(i => $"user-{i}").ToList();
        var arms = keys.Select(k => split.Route(k)).ToList();
        // scipy.stats.binom.ppf(0.00005 / 0.99995, 2000, 0.3) = 521 / 681
        Assert.InRange(arms.Count(a => a == Arm.Challenger), 521, 681);
        // Every key goes to the same arm again, interleaved with unkeyed traffic, and in a new router with the same seed.
        var again = new TrafficSplit(0.3, seed: 1);
        Assert.Equal(arms, keys.Select(k => { split.Route(); return again.Route(k); }));
        // Another seed is another assignment.
        Assert.NotEqual(arms, keys.Select(k => new TrafficSplit(0.3, seed: 2).Route(k)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_share_outside_0_to_1_is_refused(double share)
    {
        var e = Assert.Throws<RegistryException>(() => new TrafficSplit(share));
        Assert.Equal("split", e.Field);
    }

    [Fact]
    public void The_report_picks_the_test_from_the_outcomes()
    {
        VersionTraffic Arm_(string model, Arm arm, params double[] outcomes) => new(model, arm, outcomes.Length, 0, 0, 1, 2, outcomes);
        var binary = new AbReport("models:/m/1", "models:/m/2",
            [Arm_("models:/m/1", Arm.Champion, [.. Enumerable.Repeat(1.0, 24), .. Enumerable.Repeat(0.0, 36)]),
             Arm_("models:/m/2", Arm.Challenger, [.. Enumerable.Repeat(1.0, 36), .. Enumerable.Repeat(0.0, 24)])]);
        Assert.Equal("two-proportion z-test", binary.Test!.Test);
        Assert.Equal(0.028459736916310565, binary.Test.PValue, 1e-9);
        Assert.True(binary.Significant);
        Assert.Contains("significant at α = 0.05", binary.Summary);

        var numeric = new AbReport("models:/m/1", "models:/m/2",
            [Arm_("models:/m/1", Arm.Champion, 1.2, 0.0, 3.4, 2.2, 0.0, 1.8, 2.9, 0.4, 1.1, 2.5),
             Arm_("models:/m/2", Arm.Challenger, 2.1, 3.3, 0.0, 4.2, 2.8, 3.9, 1.7, 2.6)]);
        Assert.Equal("Welch's t-test", numeric.Test!.Test);
        Assert.Equal(0.11376395289314577, numeric.Test.PValue, 1e-9);
        Assert.False(numeric.Significant);

        var early = new AbReport("models:/m/1", "models:/m/2", [Arm_("models:/m/1", Arm.Champion, 1, 0, 1)]);
        Assert.Null(early.Test);
        Assert.StartsWith("Not enough outcomes yet", early.Summary);
        Assert.Contains(">models:/m/1<", HtmlRenderers.Render(early));
        Assert.Contains("Not enough outcomes yet", HtmlRenderers.Render(early));
    }
}
