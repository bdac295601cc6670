using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Courseware.Drift;

/// <summary>
/// Column drift statistics, each comparing a reference sample with a current one and returning a
/// <see cref="StatTestResult"/>. Numbers match scipy (ks_2samp, wasserstein_distance, energy_distance, anderson_ksamp,
/// mannwhitneyu, chisquare, entropy, jensenshannon) and Evidently's binning, thresholds and drift rules.
/// Numerical samples must not contain NaN (drop missing values first). Sort-and-merge throughout: O(n log n).
/// </summary>
/// <example><code>var ks = DriftStats.KolmogorovSmirnov(reference, current); // ks.PValue, ks.Drifted</code></example>
public static class DriftStats
{
    /// <summary>
    /// Two-sample Kolmogorov–Smirnov test (two-sided), p-value as scipy.stats.ks_2samp(method='auto'): exact when both
    /// samples have at most 10 000 values, otherwise kstwo.sf(D, round(m·n/(m+n))). Drift when p ≤ threshold (Evidently).
    /// </summary>
    public static StatTestResult KolmogorovSmirnov(ReadOnlySpan<double> reference, ReadOnlySpan<double> current,
        double threshold = 0.05, KsMethod method = KsMethod.Auto) =>
        WithSorted(reference, current, (a, b) => KolmogorovSmirnovSorted(a, b, threshold, method));

    internal static StatTestResult KolmogorovSmirnovSorted(double[] a, double[] b, double threshold, KsMethod method = KsMethod.Auto)
    {
        long n1 = a.Length, n2 = b.Length, g = KolmogorovSmirnovDistribution.Gcd(n1, n2);
        // Work in integers: at each distinct value, i·n2 − j·n1 is the ECDF difference times n1·n2.
        long maxDiff = 0;
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            double v = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] == v) i++;
            while (j < b.Length && b[j] == v) j++;
            maxDiff = Math.Max(maxDiff, Math.Abs(i * n2 - j * n1));
        }
        long h = maxDiff / g, lcm = n1 / g * n2;
        double d = (double)h / lcm;
        if (method == KsMethod.Auto) method = Math.Max(n1, n2) <= KolmogorovSmirnovDistribution.MaxExactN ? KsMethod.Exact : KsMethod.Asymptotic;
        if (method == KsMethod.Exact && n1 / g >= int.MaxValue / (n2 / g)) method = KsMethod.Asymptotic;
        double? p = method == KsMethod.Exact ? KolmogorovSmirnovDistribution.ExactTwoSided(n1, n2, h) : null;
        if (p is null)
        {
            double m = Math.Max(n1, n2), n = Math.Min(n1, n2);
            p = KolmogorovSmirnovDistribution.KolmogorovSf((long)Math.Round(m * n / (m + n)), d);
        }
        return new StatTestResult("ks", d, p, threshold, p <= threshold);
    }

    /// <summary>
    /// Wasserstein-1 (earth mover's) distance between the empirical distributions, in the data's units
    /// (scipy.stats.wasserstein_distance). Drift when the distance ≥ threshold.
    /// </summary>
    public static StatTestResult Wasserstein(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1)
    {
        double w = WithSorted(reference, current, (a, b) => CdfDistance(a, b, 1));
        return new StatTestResult("wasserstein_raw", w, null, threshold, w >= threshold);
    }

    /// <summary>
    /// Evidently's normed Wasserstein distance: W1 / max(std(reference), 0.001), population std. Drift when ≥ threshold
    /// (0.1 by default: a shift of a tenth of a standard deviation).
    /// </summary>
    public static StatTestResult WassersteinNormed(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1) =>
        WithSorted(reference, current, (a, b) => WassersteinNormedSorted(a, b, threshold));

    internal static StatTestResult WassersteinNormedSorted(double[] a, double[] b, double threshold)
    {
        double w = CdfDistance(a, b, 1) / Math.Max(PopulationStd(a), 0.001);
        return new StatTestResult("wasserstein", w, null, threshold, w >= threshold);
    }

    /// <summary>
    /// Energy distance √2 · (∫(F_ref − F_cur)²)^½ (scipy.stats.energy_distance). Drift when the distance &gt; threshold (Evidently).
    /// </summary>
    public static StatTestResult EnergyDistance(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1) =>
        WithSorted(reference, current, (a, b) => EnergyDistanceSorted(a, b, threshold));

    internal static StatTestResult EnergyDistanceSorted(double[] a, double[] b, double threshold)
    {
        double e = Math.Sqrt(2) * CdfDistance(a, b, 2);
        return new StatTestResult("ed", e, null, threshold, e > threshold);
    }

    // ∫|F_a − F_b|^p between consecutive values of the merged samples, then the p-th root (scipy's _cdf_distance).
    static double CdfDistance(double[] a, double[] b, int p)
    {
        int i = 0, j = 0;
        double sum = 0, compensation = 0;
        while (i < a.Length || j < b.Length)
        {
            double v = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] == v) i++;
            while (j < b.Length && b[j] == v) j++;
            if (i == a.Length && j == b.Length) break;
            double next = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            double diff = Math.Abs((double)i / a.Length - (double)j / b.Length);
            // Neumaier summation keeps millions of small terms accurate.
            double term = (p == 1 ? diff : diff * diff) * (next - v), t = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - t) + term : (term - t) + sum;
            sum = t;
        }
        sum += compensation;
        return p == 1 ? sum : Math.Sqrt(sum);
    }

    /// <summary>
    /// Anderson–Darling k-sample test with midranks (scipy.stats.anderson_ksamp). The p-value is interpolated from
    /// the tabulated critical values and capped to [0.001, 0.25] as scipy does. Drift when p &lt; threshold.
    /// </summary>
    public static StatTestResult AndersonDarling(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.05) =>
        WithSorted(reference, current, (a, b) => AndersonDarlingSorted([a, b], threshold));

    /// <summary>Anderson–Darling test for k ≥ 2 samples (scipy.stats.anderson_ksamp, midrank=True).</summary>
    public static StatTestResult AndersonDarling(IReadOnlyList<double[]> samples, double threshold = 0.05) =>
        AndersonDarlingSorted(samples.Select((s, k) => SortedCopy(s, $"samples[{k}]")).ToArray(), threshold);

    internal static StatTestResult AndersonDarlingSorted(double[][] samples, double threshold)
    {
        int k = samples.Length;
        if (k < 2) throw new ArgumentException("Anderson–Darling needs at least two samples.", nameof(samples));
        long bigN = samples.Sum(s => (long)s.Length);
        double n = bigN;
        var pos = new int[k];
        double a2 = 0, below = 0; // below = number of pooled values smaller than the current distinct value
        var partial = new double[k];
        int distinct = 0;
        while (true)
        {
            double z = 0;
            bool any = false;
            for (int s = 0; s < k; s++)
                if (pos[s] < samples[s].Length && (!any || samples[s][pos[s]] < z)) { z = samples[s][pos[s]]; any = true; }
            if (!any) break;
            distinct++;
            var ties = new int[k];
            for (int s = 0; s < k; s++)
                while (pos[s] < samples[s].Length && samples[s][pos[s]] == z) { pos[s]++; ties[s]++; }
            double lj = ties.Sum(), bj = below + lj / 2.0;
            double denominator = bj * (n - bj) - n * lj / 4.0;
            for (int s = 0; s < k; s++)
            {
                double mij = pos[s] - ties[s] / 2.0, diff = n * mij - bj * samples[s].Length;
                partial[s] += lj / n * diff * diff / denominator;
            }
            below += lj;
        }
        if (distinct < 2) throw new ArgumentException("Anderson–Darling needs more than one distinct value across the samples.");
        for (int s = 0; s < k; s++) a2 += partial[s] / samples[s].Length;
        a2 *= (n - 1) / n;

        double hH = samples.Sum(s => 1.0 / s.Length);
        // h = Σ_{i=1}^{N−1} 1/i; g = Σ_{i=1}^{N−2} Σ_{j=i+1}^{N−1} 1/((N−i)·j), accumulated as scipy does.
        double cumulative = 0, g = 0;
        for (long idx = 0; idx < bigN - 2; idx++)
        {
            cumulative += 1.0 / (bigN - 1 - idx);
            g += cumulative / (idx + 2);
        }
        double h = cumulative + 1;
        double a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * hH;
        double b = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * hH - 8 * h + 4 * g - 6;
        double c = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * hH + 4 * h;
        double d = (2 * h + 6) * k * k - 4 * h * k;
        double sigmaSq = (a * n * n * n + b * n * n + c * n + d) / ((n - 1) * (n - 2) * (n - 3));
        double m = k - 1, stat = (a2 - m) / Math.Sqrt(sigmaSq);

        double[] b0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
        double[] b1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
        double[] b2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];
        double[] sig = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
        var critical = b0.Select((x, i) => x + b1[i] / Math.Sqrt(m) + b2[i] / m).ToArray();
        double p;
        if (stat < critical.Min()) p = 0.25;
        else if (stat > critical.Max()) p = 0.001;
        else
        {
            var coefficients = Fit.Polynomial(critical, sig.Select(x => Math.Log(x)).ToArray(), 2); // low order first
            p = Math.Exp(coefficients[0] + coefficients[1] * stat + coefficients[2] * stat * stat);
        }
        return new StatTestResult("anderson", stat, p, threshold, p < threshold);
    }

    /// <summary>
    /// Mann–Whitney U test (scipy.stats.mannwhitneyu, method='auto', continuity correction): exact when either sample has
    /// at most 8 values and there are no ties, otherwise the normal approximation with the tie correction.
    /// The statistic is U of the reference sample. Drift when p &lt; threshold. Evidently's "mannw" uses Alternative.Less.
    /// </summary>
    public static StatTestResult MannWhitneyU(ReadOnlySpan<double> reference, ReadOnlySpan<double> current,
        Alternative alternative = Alternative.TwoSided, double threshold = 0.05) =>
        WithSorted(reference, current, (a, b) => MannWhitneyUSorted(a, b, alternative, threshold));

    internal static StatTestResult MannWhitneyUSorted(double[] x, double[] y, Alternative alternative, double threshold)
    {
        double n1 = x.Length, n2 = y.Length, rankSumX = 0, tieTerm = 0;
        bool ties = false;
        int i = 0, j = 0;
        long before = 0;
        while (i < x.Length || j < y.Length)
        {
            double v = j >= y.Length || (i < x.Length && x[i] <= y[j]) ? x[i] : y[j];
            int ci = 0, cj = 0;
            while (i < x.Length && x[i] == v) { i++; ci++; }
            while (j < y.Length && y[j] == v) { j++; cj++; }
            double t = ci + cj;
            rankSumX += ci * (before + (t + 1) / 2.0);
            tieTerm += t * t * t - t;
            ties |= t > 1;
            before += ci + cj;
        }
        double u1 = rankSumX - n1 * (n1 + 1) / 2, u2 = n1 * n2 - u1;
        var (u, factor) = alternative switch
        {
            Alternative.Greater => (u1, 1.0),
            Alternative.Less => (u2, 1.0),
            _ => (Math.Max(u1, u2), 2.0),
        };
        bool exact = (n1 <= 8 || n2 <= 8) && !ties;
        double p;
        if (exact) p = MannWhitneyExactSf((int)u, x.Length, y.Length);
        else
        {
            double n = n1 + n2;
            double s = Math.Sqrt(n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1))));
            double z = (u - n1 * n2 / 2 - 0.5) / s;
            p = Normal.CDF(0, 1, -z);
        }
        p = Math.Clamp(p * factor, 0, 1);
        return new StatTestResult("mannw", u1, p, threshold, p < threshold);
    }

    // P(U ≥ u) under the null: the counts are the coefficients of the Gaussian binomial [m+n choose m]_q.
    static double MannWhitneyExactSf(int u, int m, int n)
    {
        if (m > n) (m, n) = (n, m);
        int max = m * n;
        var poly = new double[max + 1];
        poly[0] = 1;
        int degree = 0;
        for (int k = 1; k <= m; k++)
        {
            // multiply by (1 − q^(n+k)) then divide by (1 − q^k): both exact on integer counts.
            degree += n;
            for (int d = degree; d >= n + k; d--) poly[d] -= poly[d - n - k];
            for (int d = k; d <= degree; d++) poly[d] += poly[d - k];
        }
        double total = 0, tail = 0;
        for (int d = 0; d <= max; d++) { total += poly[d]; if (d >= u) tail += poly[d]; }
        return tail / total;
    }

    /// <summary>
    /// Population Stability Index Σ (ref% − cur%) · ln(ref% / cur%) over bins, empty bins smoothed as Evidently.
    /// <paramref name="binning"/> chooses Evidently's bins (default) or ten reference-decile bins. Drift when ≥ threshold;
    /// the course reads &lt; 0.1 as no shift, 0.1–0.25 moderate, &gt; 0.25 major.
    /// </summary>
    public static StatTestResult Psi(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1, Binning binning = Binning.Evidently) =>
        PsiOf(Bin(reference, current, binning), threshold);

    /// <summary>PSI over categories (one bin per category seen in either sample).</summary>
    public static StatTestResult Psi(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.1) =>
        PsiOf(Bin(reference, current), threshold);

    internal static StatTestResult PsiOf(Binned bins, double threshold)
    {
        var s = bins.WithEmptyBinsFilled();
        double psi = 0;
        for (int i = 0; i < s.Reference.Length; i++)
            psi += (s.Reference[i] - s.Current[i]) * Math.Log(s.Reference[i] / s.Current[i]);
        return new StatTestResult("psi", psi, null, threshold, psi >= threshold);
    }

    /// <summary>
    /// Kullback–Leibler divergence KL(ref ‖ cur) in nats over Evidently's bins with empty bins smoothed, both
    /// renormalised (scipy.stats.entropy). Not symmetric. Drift when ≥ threshold.
    /// </summary>
    public static StatTestResult KlDivergence(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1, Binning binning = Binning.Evidently) =>
        KlOf(Bin(reference, current, binning), threshold);

    /// <summary>KL divergence over categories.</summary>
    public static StatTestResult KlDivergence(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.1) =>
        KlOf(Bin(reference, current), threshold);

    internal static StatTestResult KlOf(Binned bins, double threshold)
    {
        var s = bins.WithEmptyBinsFilled();
        double kl = RelativeEntropy(Proportions(s.Reference), Proportions(s.Current));
        return new StatTestResult("kl_div", kl, null, threshold, kl >= threshold);
    }

    /// <summary>
    /// Jensen–Shannon distance (the square root of the divergence, natural log; scipy.spatial.distance.jensenshannon)
    /// over Evidently's bins without smoothing. Between 0 and √ln 2. Drift when ≥ threshold.
    /// </summary>
    public static StatTestResult JensenShannon(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1, Binning binning = Binning.Evidently) =>
        JensenShannonOf(Bin(reference, current, binning), threshold);

    /// <summary>Jensen–Shannon distance over categories.</summary>
    public static StatTestResult JensenShannon(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.1) =>
        JensenShannonOf(Bin(reference, current), threshold);

    internal static StatTestResult JensenShannonOf(Binned bins, double threshold)
    {
        double[] p = Proportions(bins.Reference), q = Proportions(bins.Current);
        var m = new double[p.Length];
        for (int i = 0; i < m.Length; i++) m[i] = (p[i] + q[i]) / 2;
        double js = RelativeEntropy(p, m) + RelativeEntropy(q, m);
        double distance = Math.Sqrt(Math.Max(js, 0) / 2);
        return new StatTestResult("jensenshannon", distance, null, threshold, distance >= threshold);
    }

    private static double[] Proportions(double[] counts)
    {
        double total = counts.Sum();
        return [.. counts.Select(c => c / total)];
    }

    // Σ p·ln(p/q) over the bins where p > 0 (scipy.stats.entropy's sum): KL(p ‖ q) of two distributions.
    private static double RelativeEntropy(double[] p, double[] q)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
            if (p[i] > 0) sum += p[i] * Math.Log(p[i] / q[i]);
        return sum;
    }

    /// <summary>
    /// Hellinger distance as Evidently computes it: numerical values in Sturges bins over the distinct values of both
    /// samples; √(1 − Σ √(p·q)). Between 0 and 1. Drift when ≥ threshold.
    /// </summary>
    public static StatTestResult Hellinger(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.1) =>
        WithSorted(reference, current, (a, b) => HellingerSorted(a, b, threshold));

    /// <summary>Hellinger distance over categories.</summary>
    public static StatTestResult Hellinger(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.1) =>
        HellingerOf(Bin(reference, current), threshold);

    internal static StatTestResult HellingerSorted(double[] a, double[] b, double threshold)
    {
        long distinct = CountDistinctMerged(a, b);
        var edges = Binned.SturgesEdges(Math.Min(a[0], b[0]), Math.Max(a[^1], b[^1]), distinct);
        return HellingerOf(Binned.ByEdges(a, b, edges, openEnds: false), threshold);
    }

    static StatTestResult HellingerOf(Binned bins, double threshold)
    {
        double overlap = 0;
        for (int i = 0; i < bins.Reference.Length; i++) overlap += Math.Sqrt(bins.Reference[i] * bins.Current[i]);
        double h = Math.Sqrt(1 - Math.Clamp(overlap, 0, 1));
        return new StatTestResult("hellinger", h, null, threshold, h >= threshold);
    }

    /// <summary>
    /// Evidently's chi-square test: goodness of fit of the current category counts to the reference proportions
    /// (scipy.stats.chisquare(f_obs=current, f_exp=reference·n_cur/n_ref)). A category absent from the reference gives
    /// p = 0. Drift when p &lt; threshold.
    /// </summary>
    public static StatTestResult ChiSquare(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.05) =>
        ChiSquareOf(reference, current, threshold);

    /// <summary>Chi-square goodness of fit over the distinct values of numerical samples (Evidently's choice for ≤ 5 values).</summary>
    public static StatTestResult ChiSquare(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.05) =>
        ChiSquareOf(Checked(reference, nameof(reference)), Checked(current, nameof(current)), threshold);

    internal static StatTestResult ChiSquareOf<T>(IReadOnlyList<T> reference, IReadOnlyList<T> current, double threshold) where T : notnull
    {
        RequireNonEmpty(reference.Count, current.Count);
        var refCounts = Binned.Counts(reference);
        var curCounts = Binned.Counts(current);
        var keys = refCounts.Keys.Union(curCounts.Keys).ToArray();
        if (keys.Length < 2) throw new ArgumentException("Chi-square needs at least two distinct values across reference and current.");
        double scale = (double)current.Count / reference.Count, stat = 0;
        foreach (var key in keys)
        {
            double expected = refCounts.GetValueOrDefault(key) * scale, observed = curCounts.GetValueOrDefault(key);
            stat += expected == 0 ? double.PositiveInfinity : (observed - expected) * (observed - expected) / expected;
        }
        // chi2.sf(stat, k − 1) as the regularized upper incomplete gamma: accurate far into the tail.
        double p = double.IsPositiveInfinity(stat) ? 0 : SpecialFunctions.GammaUpperRegularized((keys.Length - 1) / 2.0, stat / 2);
        return new StatTestResult("chisquare", stat, p, threshold, p < threshold);
    }

    /// <summary>
    /// Evidently's two-proportion Z-test (pooled): the share of the first value in sorted order against all others;
    /// two-sided p = 2(1 − Φ(|z|)). Identical single-valued samples give p = 1. Drift when p &lt; threshold.
    /// </summary>
    public static StatTestResult ZTest(IReadOnlyList<string> reference, IReadOnlyList<string> current, double threshold = 0.05) =>
        ZTestOf(reference, current, threshold);

    /// <summary>Z-test over the values of numerical samples (Evidently's choice for ≤ 2 distinct values).</summary>
    public static StatTestResult ZTest(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, double threshold = 0.05) =>
        ZTestOf(Checked(reference, nameof(reference)), Checked(current, nameof(current)), threshold);

    internal static StatTestResult ZTestOf<T>(IReadOnlyList<T> reference, IReadOnlyList<T> current, double threshold) where T : notnull
    {
        RequireNonEmpty(reference.Count, current.Count);
        var keys = reference.Concat(current).Distinct().Order(Binned.KeyComparer<T>()).ToArray();
        if (keys.Length == 1) return new StatTestResult("z", 0, 1, threshold, false);
        var first = keys[0];
        var eq = EqualityComparer<T>.Default;
        double n1 = reference.Count, n2 = current.Count;
        double p1 = reference.Count(v => !eq.Equals(v, first)) / n1, p2 = current.Count(v => !eq.Equals(v, first)) / n2;
        double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
        double z = (p1 - p2) / Math.Sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
        double p = 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
        return new StatTestResult("z", z, p, threshold, p < threshold);
    }

    internal static Binned Bin(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, Binning binning) =>
        WithSorted(reference, current, (a, b) => Binned.Numerical(a, b, binning));

    internal static Binned Bin(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        RequireNonEmpty(reference.Count, current.Count);
        return Binned.Categorical(reference, current, s => s);
    }

    /// <summary>Sorted copies of both samples (sorted in parallel when large), handed to <paramref name="compute"/>.</summary>
    static T WithSorted<T>(ReadOnlySpan<double> reference, ReadOnlySpan<double> current, Func<double[], double[], T> compute)
    {
        var a = Checked(reference, nameof(reference));
        var b = Checked(current, nameof(current));
        if (a.Length + b.Length > 200_000) Parallel.Invoke(() => Array.Sort(a), () => Array.Sort(b));
        else { Array.Sort(a); Array.Sort(b); }
        return compute(a, b);
    }

    /// <summary>A sorted copy; rejects NaN and empty input.</summary>
    internal static double[] SortedCopy(ReadOnlySpan<double> values, string name)
    {
        var copy = Checked(values, name);
        Array.Sort(copy);
        return copy;
    }

    internal static double[] CheckedCopy(ReadOnlySpan<double> values, string name) => Checked(values, name);

    static double[] Checked(ReadOnlySpan<double> values, string name)
    {
        if (values.IsEmpty) throw new ArgumentException($"The {name} sample is empty; a drift statistic needs at least one value.", name);
        var copy = values.ToArray();
        int nan = -1;
        for (int i = 0; i < copy.Length; i++) if (double.IsNaN(copy[i])) { nan = i; break; }
        if (nan >= 0) throw new ArgumentException($"The {name} sample has NaN at index {nan}; drop missing values before computing drift.", name);
        return copy;
    }

    static void RequireNonEmpty(int reference, int current)
    {
        if (reference == 0) throw new ArgumentException("The reference sample is empty; a drift statistic needs at least one value.", nameof(reference));
        if (current == 0) throw new ArgumentException("The current sample is empty; a drift statistic needs at least one value.", nameof(current));
    }

    internal static double PopulationStd(double[] values)
    {
        double mean = 0;
        foreach (var v in values) mean += v;
        mean /= values.Length;
        double ss = 0;
        foreach (var v in values) ss += (v - mean) * (v - mean);
        return Math.Sqrt(ss / values.Length);
    }

    /// <summary>Distinct values across two sorted samples, by merging.</summary>
    internal static long CountDistinctMerged(double[] a, double[] b)
    {
        long count = 0;
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            double v = j >= b.Length || (i < a.Length && a[i] <= b[j]) ? a[i] : b[j];
            while (i < a.Length && a[i] == v) i++;
            while (j < b.Length && b[j] == v) j++;
            count++;
        }
        return count;
    }
}
