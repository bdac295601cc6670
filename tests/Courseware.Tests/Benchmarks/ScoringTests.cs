using Courseware.Benchmarks;

namespace Courseware.Tests.Benchmarks;

public class ScoringTests
{
    private static BenchmarkDocument Doc(int gold, params string[] choices) => new("d", "Q:", choices, gold);

    [Fact]
    public void AccPicksTheLargestSumButAccNormDividesByCharacters()
    {
        // "cat" −3.0 beats "tortoise" −4.0 on the sum; per character −1.0 vs −0.5, so acc_norm picks the long choice.
        var doc = Doc(1, "cat", "tortoise");
        double[] ll = [-3.0, -4.0];
        Assert.Equal(0, Scoring.Score("acc", doc, ll));
        Assert.Equal(1, Scoring.Score("acc_norm", doc, ll));
    }

    [Fact]
    public void AccBytesDividesByUtf8Bytes()
    {
        // "é" is 1 character, 2 bytes. acc_norm: −1/1 = −1 < −1.6/2 = −0.8 → "ab"; acc_bytes: −1/2 = −0.5 > −0.8 → "é".
        var doc = Doc(0, "é", "ab");
        double[] ll = [-1.0, -1.6];
        Assert.Equal(0, Scoring.Score("acc_norm", doc, ll));
        Assert.Equal(1, Scoring.Score("acc_bytes", doc, ll));
        Assert.Equal(1, Scoring.Score("acc", doc, ll));
    }

    [Fact]
    public void TiesGoToTheFirstChoiceLikeNumpyArgmax()
    {
        Assert.Equal(1, Scoring.Score("acc", Doc(0, "a", "b", "c"), [-2.0, -2.0, -5.0]));
        Assert.Equal(0, Scoring.Score("acc", Doc(1, "a", "b", "c"), [-2.0, -2.0, -5.0]));
    }

    [Fact]
    public void Mc2IsTheNormalisedProbabilityMassOfTheTrueAnswers()
    {
        var doc = new BenchmarkDocument("d", "Q:", ["t1", "t2", "f1", "f2"], 0) { Labels = [1, 1, 0, 0] };
        // harness_reference.py: mc2([1,1,0,0], [-1,-2,-0.5,-3]) = 0.43398071638967184
        Assert.Equal(0.43398071638967184, Scoring.Score("acc", doc, [-1.0, -2.0, -0.5, -3.0], ScoringRule.TrueProbabilityMass), 12);
        // Closed form: probabilities 0.2, 0.3 | 0.5 → 0.5; shifting every ll by a constant changes nothing.
        var three = new BenchmarkDocument("d", "Q:", ["a", "b", "c"], 0) { Labels = [1, 1, 0] };
        Assert.Equal(0.5, Scoring.Score("acc", three, [Math.Log(0.2) - 900, Math.Log(0.3) - 900, Math.Log(0.5) - 900], ScoringRule.TrueProbabilityMass), 12);
    }

    [Fact]
    public void StandardErrorIsSampleStdOverRootN()
    {
        // harness_reference.py: mean_stderr([1,0,1,1,0,1,1,1]) = 0.16366341767699427
        MetricValue m = Aggregation.Mean([1, 0, 1, 1, 0, 1, 1, 1]);
        Assert.Equal(0.75, m.Value, 12);
        Assert.Equal(0.16366341767699427, m.StandardError, 12);
        // Closed form: [1,0,1,1] has sample variance 0.25, so stderr = sqrt(0.25 / 4) = 0.25.
        Assert.Equal(0.25, Aggregation.Mean([1, 0, 1, 1]).StandardError, 12);
        Assert.True(double.IsNaN(Aggregation.Mean([1]).StandardError));
    }

    [Fact]
    public void GroupsAreSizeWeightedWithThePooledStandardError()
    {
        // harness_reference.py: pooled_sample_stderr([0.1, 0.05], [10, 30]) = 0.04497806482930845
        MetricValue g = Aggregation.Group([new(0.5, 0.1), new(0.9, 0.05)], [10, 30]);
        Assert.Equal((0.5 * 10 + 0.9 * 30) / 40, g.Value, 12);
        Assert.Equal(0.04497806482930845, g.StandardError, 12);
        Assert.Equal(0.7, Aggregation.Group([new(0.5, 0.1), new(0.9, 0.05)], [10, 30], weightBySize: false).Value, 12);
        // pooled_sample_stderr([0.2, 0.15, 0.3], [7, 12, 5]) = 0.11312656207813905
        Assert.Equal(0.11312656207813905, Aggregation.PooledStandardError([0.2, 0.15, 0.3], [7, 12, 5]), 12);
    }

    [Fact]
    public void UnknownMetricAndWrongCountsAreRejected()
    {
        Assert.Contains("acc_mutual_info", Assert.Throws<ArgumentException>(() => Scoring.Score("acc_mutual_info", Doc(0, "a", "b"), [-1, -2])).Message);
        Assert.Contains("1 log-likelihoods for 2 choices", Assert.Throws<ArgumentException>(() => Scoring.Score("acc", Doc(0, "a", "b"), [-1])).Message);
    }

    [Fact]
    public void ConfidenceIntervalIsNormalApproximation()
    {
        var (low, high) = new MetricValue(0.6, 0.05).ConfidenceInterval();
        Assert.Equal(0.6 - 1.959963984540054 * 0.05, low, 9);
        Assert.Equal(0.6 + 1.959963984540054 * 0.05, high, 9);
    }
}
