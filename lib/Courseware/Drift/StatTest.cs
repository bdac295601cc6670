namespace Courseware.Drift;

/// <summary>
/// A drift test that can be chosen per column, by Evidently's name: <c>ks</c>, <c>wasserstein</c>, <c>psi</c>,
/// <c>psi_deciles</c>, <c>kl_div</c>, <c>jensenshannon</c>, <c>chisquare</c>, <c>z</c>, <c>anderson</c>, <c>mannw</c>,
/// <c>hellinger</c>, <c>ed</c>. <see cref="DefaultFor"/> reproduces Evidently's automatic choice.
/// </summary>
public sealed class StatTest
{
    readonly Func<ColumnSample, ColumnSample, double, StatTestResult> _run;

    StatTest(string name, string displayName, double defaultThreshold, bool isPValue, bool numericalOnly,
        Func<ColumnSample, ColumnSample, double, StatTestResult> run)
    {
        Name = name;
        DisplayName = displayName;
        DefaultThreshold = defaultThreshold;
        IsPValue = isPValue;
        NumericalOnly = numericalOnly;
        _run = run;
    }

    /// <summary>Evidently's short name.</summary>
    public string Name { get; }

    /// <summary>Name for reports.</summary>
    public string DisplayName { get; }

    /// <summary>Evidently's default threshold for this test.</summary>
    public double DefaultThreshold { get; }

    /// <summary>True when the score is a p-value (drift when it is small), false for distances (drift when large).</summary>
    public bool IsPValue { get; }

    /// <summary>True when the test only applies to numerical columns.</summary>
    public bool NumericalOnly { get; }

    /// <summary>Two-sample Kolmogorov–Smirnov, p ≤ threshold.</summary>
    public static StatTest Ks { get; } = new("ks", "K-S p_value", 0.05, true, true,
        (r, c, t) => DriftStats.KolmogorovSmirnovSorted(r.Numbers!, c.Numbers!, t));

    /// <summary>Wasserstein distance normed by the reference standard deviation, ≥ threshold.</summary>
    public static StatTest Wasserstein { get; } = new("wasserstein", "Wasserstein distance (normed)", 0.1, false, true,
        (r, c, t) => DriftStats.WassersteinNormedSorted(r.Numbers!, c.Numbers!, t));

    /// <summary>Population Stability Index over Evidently's bins, ≥ threshold.</summary>
    public static StatTest Psi { get; } = new("psi", "PSI", 0.1, false, false,
        (r, c, t) => DriftStats.PsiOf(Bins(r, c, Binning.Evidently), t));

    /// <summary>Population Stability Index over ten reference-decile bins, ≥ threshold.</summary>
    public static StatTest PsiDeciles { get; } = new("psi_deciles", "PSI (reference deciles)", 0.1, false, false,
        (r, c, t) => DriftStats.PsiOf(Bins(r, c, Binning.ReferenceQuantiles), t) with { Test = "psi_deciles" });

    /// <summary>Kullback–Leibler divergence, ≥ threshold.</summary>
    public static StatTest KlDiv { get; } = new("kl_div", "Kullback-Leibler divergence", 0.1, false, false,
        (r, c, t) => DriftStats.KlOf(Bins(r, c, Binning.Evidently), t));

    /// <summary>Jensen–Shannon distance, ≥ threshold.</summary>
    public static StatTest JensenShannon { get; } = new("jensenshannon", "Jensen-Shannon distance", 0.1, false, false,
        (r, c, t) => DriftStats.JensenShannonOf(Bins(r, c, Binning.Evidently), t));

    /// <summary>Chi-square goodness of fit, p &lt; threshold.</summary>
    public static StatTest ChiSquare { get; } = new("chisquare", "chi-square p_value", 0.05, true, false,
        (r, c, t) => r.Numbers is not null ? DriftStats.ChiSquareOf(r.Numbers, c.Numbers!, t) : DriftStats.ChiSquareOf(r.Labels!, c.Labels!, t));

    /// <summary>Two-proportion Z-test, p &lt; threshold.</summary>
    public static StatTest Z { get; } = new("z", "Z-test p_value", 0.05, true, false,
        (r, c, t) => r.Numbers is not null ? DriftStats.ZTestOf(r.Numbers, c.Numbers!, t) : DriftStats.ZTestOf(r.Labels!, c.Labels!, t));

    /// <summary>Anderson–Darling k-sample, p &lt; threshold.</summary>
    public static StatTest AndersonDarling { get; } = new("anderson", "Anderson-Darling test p_value", 0.05, true, true,
        (r, c, t) => DriftStats.AndersonDarlingSorted([r.Numbers!, c.Numbers!], t));

    /// <summary>Mann–Whitney U with Evidently's one-sided alternative ('less'), p &lt; threshold.</summary>
    public static StatTest MannWhitney { get; } = new("mannw", "Mann-Whitney U-rank test", 0.05, true, true,
        (r, c, t) => DriftStats.MannWhitneyUSorted(r.Numbers!, c.Numbers!, Alternative.Less, t));

    /// <summary>Hellinger distance, ≥ threshold.</summary>
    public static StatTest Hellinger { get; } = new("hellinger", "Hellinger distance", 0.1, false, false,
        (r, c, t) => r.Numbers is not null ? DriftStats.HellingerSorted(r.Numbers, c.Numbers!, t) : DriftStats.Hellinger(r.Labels!, c.Labels!, t));

    /// <summary>Energy distance, &gt; threshold.</summary>
    public static StatTest EnergyDistance { get; } = new("ed", "Energy-distance", 0.1, false, true,
        (r, c, t) => DriftStats.EnergyDistanceSorted(r.Numbers!, c.Numbers!, t));

    /// <summary>Every test, for listing and lookup.</summary>
    public static IReadOnlyList<StatTest> All { get; } =
        [Ks, Wasserstein, Psi, PsiDeciles, KlDiv, JensenShannon, ChiSquare, Z, AndersonDarling, MannWhitney, Hellinger, EnergyDistance];

    /// <summary>The test with Evidently's short name <paramref name="name"/> (case-insensitive).</summary>
    public static StatTest Get(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown drift test '{name}'; expected one of {string.Join(", ", All.Select(t => t.Name))}.", nameof(name));

    /// <summary>
    /// Evidently's default test. <paramref name="referenceCount"/> counts reference values left after dropping missing
    /// ones; <paramref name="uniqueCount"/> counts distinct values over reference and current together.
    /// Reference ≤ 1000: numerical with &gt; 5 values → KS; otherwise chi-square when &gt; 2 values, else Z.
    /// Reference &gt; 1000: numerical with &gt; 5 values → normed Wasserstein; otherwise Jensen–Shannon.
    /// </summary>
    public static StatTest DefaultFor(ColumnType type, long referenceCount, long uniqueCount)
    {
        if (type == ColumnType.DateTime) throw new ArgumentException("Date/time columns are not tested for drift; use them to split data into windows.", nameof(type));
        bool numerical = type == ColumnType.Numerical;
        if (referenceCount <= 1000)
            return numerical && uniqueCount > 5 ? Ks : uniqueCount > 2 ? ChiSquare : Z;
        return numerical && uniqueCount > 5 ? Wasserstein : JensenShannon;
    }

    internal StatTestResult Run(ColumnSample reference, ColumnSample current, double threshold) => _run(reference, current, threshold);

    static Binned Bins(ColumnSample r, ColumnSample c, Binning binning) =>
        r.Numbers is not null ? Binned.Numerical(r.Numbers, c.Numbers!, binning) : Binned.Categorical(r.Labels!, c.Labels!, s => s);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>The non-missing values of one column: sorted numbers, or labels.</summary>
internal sealed record ColumnSample(double[]? Numbers, string[]? Labels)
{
    public int Count => Numbers?.Length ?? Labels!.Length;
}
