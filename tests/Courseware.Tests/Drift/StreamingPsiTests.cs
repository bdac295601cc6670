using Courseware.Drift;

namespace Courseware.Tests.Drift;

public class StreamingPsiTests
{
    [Theory, MemberData(nameof(DriftStatsTests.Cases), MemberType = typeof(DriftStatsTests))]
    public void BatchesGiveTheDecilePsiOfEverythingSoFar(string name)
    {
        var (r, c) = Samples.Case(name);
        var psi = new StreamingPsi(r);
        for (int start = 0; start < c.Length; start += 7) psi.Add(c.AsSpan(start, Math.Min(7, c.Length - start)));
        Assert.Equal(c.Length, psi.Count);
        // numpy: np.quantile deciles + searchsorted (reference/make_reference.py "psi_quantiles").
        DriftStatsTests.Close(DriftStatsTests.Scipy[$"{name}.psi_quantiles"], psi.Value, 1e-9, "streaming PSI");
        psi.Reset();
        Assert.Throws<InvalidOperationException>(() => psi.Value);
        psi.Add(r);
        Assert.Equal(0.0, psi.Value, 15);
    }

    [Fact]
    public void SelectRanksMatchesSorting()
    {
        foreach (var kind in new[] { "normal", "int10" })
        {
            var data = Samples.Draw(77, 5000, kind);
            var sorted = data.Order().ToArray();
            var ranks = Binned.DecileRanks(data.Length);
            Binned.SelectRanks(data, ranks);
            Assert.All(ranks, k => Assert.Equal(sorted[k], data[k]));
            Assert.Equal(sorted, data.Order().ToArray()); // a permutation: nothing lost or duplicated
        }
    }

    [Fact]
    public void MissingValuesAreCountedNotBinned()
    {
        var psi = new StreamingPsi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        psi.Add([1, double.NaN, 10]);
        Assert.Equal(2, psi.Count);
        Assert.Equal(1, psi.Missing);
    }
}
