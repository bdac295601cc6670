namespace Courseware.Drift;

/// <summary>
/// The outcome of one drift statistic on one column: the statistic, its p-value where the test defines one,
/// the threshold it was judged against and the verdict.
/// </summary>
/// <param name="Test">Short test name as Evidently spells it (<c>ks</c>, <c>wasserstein</c>, <c>psi</c>, …).</param>
/// <param name="Statistic">The test statistic or distance (D for KS, U for Mann–Whitney, the distance itself for distances).</param>
/// <param name="PValue">The p-value for hypothesis tests; null for distances.</param>
/// <param name="Threshold">A p-value level for hypothesis tests (drift when p is below it), otherwise a distance level.</param>
/// <param name="Drifted">Whether the column drifted by this test's rule.</param>
public sealed record StatTestResult(string Test, double Statistic, double? PValue, double Threshold, bool Drifted)
{
    /// <summary>The number reported as the drift score: the p-value for tests, the distance for distances (as Evidently).</summary>
    public double Score => PValue ?? Statistic;

    /// <inheritdoc />
    public override string ToString() => PValue is { } p
        ? $"{Test}: statistic={Statistic:G6}, p={p:G6}, threshold={Threshold:G6}, drifted={Drifted}"
        : $"{Test}: {Statistic:G6}, threshold={Threshold:G6}, drifted={Drifted}";
}

/// <summary>Alternative hypothesis of a rank test.</summary>
public enum Alternative
{
    /// <summary>The distributions differ.</summary>
    TwoSided,
    /// <summary>The first sample tends to be smaller (scipy's 'less').</summary>
    Less,
    /// <summary>The first sample tends to be larger (scipy's 'greater').</summary>
    Greater,
}

/// <summary>How a Kolmogorov–Smirnov p-value is computed (scipy.stats.ks_2samp's method).</summary>
public enum KsMethod
{
    /// <summary>Exact when both samples have at most 10 000 values, asymptotic otherwise.</summary>
    Auto,
    /// <summary>Exact lattice-path count (falls back to asymptotic if it cannot be computed in floating point).</summary>
    Exact,
    /// <summary>kstwo.sf(D, round(m·n/(m+n))).</summary>
    Asymptotic,
}

/// <summary>How numerical values are put into bins for PSI, KL divergence, Jensen–Shannon and Hellinger.</summary>
public enum Binning
{
    /// <summary>
    /// Evidently's rule: more than 20 distinct reference values → Sturges equal-width bins over reference and current
    /// together; otherwise one bin per distinct value.
    /// </summary>
    Evidently,
    /// <summary>Ten bins at the reference deciles (the convention of most monitoring tools); open-ended first and last bins.</summary>
    ReferenceQuantiles,
}
