using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

// Inter-rater agreement beyond two raters and nominal labels. Expected values from reference/make_reference.py
// (scikit-learn 1.2.1, statsmodels 0.13.5) unless a comment gives another source.
public class AgreementTests
{
    private static readonly int[] RaterA = [1, 2, 3, 3, 2, 1, 4, 1, 2, 5, 3, 4, 4, 2, 1];
    private static readonly int[] RaterB = [1, 2, 3, 4, 2, 2, 4, 1, 3, 5, 3, 3, 4, 1, 1];

    [Theory]
    [InlineData(KappaWeighting.None, 0.5714285714285714)]
    [InlineData(KappaWeighting.Linear, 0.7634069400630915)]
    [InlineData(KappaWeighting.Quadratic, 0.8945147679324894)]
    public void Weighted_kappa_matches_scikit_learn(KappaWeighting weighting, double expected) =>
        Assert.Equal(expected, Stats.CohensKappa(RaterA, RaterB, weighting), 1e-12);

    [Fact]
    public void Weighted_kappa_takes_an_explicit_label_order()
    {
        // A category nobody used changes nothing (sklearn labels=[1..6]); string labels are weighted in sorted order.
        Assert.Equal(0.7634069400630915, Stats.CohensKappa(RaterA, RaterB, KappaWeighting.Linear, labels: [1, 2, 3, 4, 5, 6]), 1e-12);
        string[] a = ["A", "B", "tie", "A", "A", "B", "B", "tie", "A", "B", "A", "A"];
        string[] b = ["A", "B", "A", "A", "B", "B", "tie", "tie", "A", "B", "A", "B"];
        Assert.Equal(0.4642857142857143, Stats.CohensKappa(a, b, KappaWeighting.Linear), 1e-12);
    }

    [Fact]
    public void Fleiss_kappa_matches_statsmodels()
    {
        string[][] ratings =
        [
            ["a", "a", "b"], ["b", "b", "b"], ["a", "c", "c"], ["c", "c", "c"],
            ["a", "a", "a"], ["b", "a", "b"], ["c", "b", "a"], ["a", "a", "b"],
        ];
        Assert.Equal(0.29787234042553185, Stats.FleissKappa(ratings), 1e-12);
        var e = Assert.Throws<ArgumentException>(() => Stats.FleissKappa(new[] { new[] { "a", "b" }, new[] { "a" } }));
        Assert.Contains("ratings[1] has 1 ratings", e.Message);
    }

    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 coders, 12 units, missing values.
    // The paper gives α = 0.743 nominal, 0.815 ordinal, 0.849 interval, 0.797 ratio (also the expected values of
    // fast-krippendorff's tests); the full-precision values come from the coincidence-matrix definition written
    // independently in numpy (reference/make_reference.py).
    private static readonly double?[][] PaperData =
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];

    [Theory]
    [InlineData(MeasurementLevel.Nominal, 0.743, 0.743421052631579)]
    [InlineData(MeasurementLevel.Ordinal, 0.815, 0.8153875037548814)]
    [InlineData(MeasurementLevel.Interval, 0.849, 0.8491071428571428)]
    [InlineData(MeasurementLevel.Ratio, 0.797, 0.7974027747116121)]
    public void Krippendorff_alpha_reproduces_the_papers_example(MeasurementLevel level, double published, double exact)
    {
        double alpha = Stats.KrippendorffAlpha(PaperData, level);
        Assert.Equal(published, Math.Round(alpha, 3));
        Assert.Equal(exact, alpha, 1e-12);
    }

    [Fact]
    public void Krippendorff_alpha_explains_data_it_cannot_use()
    {
        Assert.Equal(1, Stats.KrippendorffAlpha([[1, 2, 3], [1, 2, 3]], MeasurementLevel.Interval), 1e-12);
        var e = Assert.Throws<ArgumentException>(() => Stats.KrippendorffAlpha([[1, null], [null, 2]]));
        Assert.Contains("no unit has values from two coders", e.Message);
        e = Assert.Throws<ArgumentException>(() => Stats.KrippendorffAlpha([[1, 2], [1]]));
        Assert.Contains("reliabilityData[1] has 1 units", e.Message);
    }
}
