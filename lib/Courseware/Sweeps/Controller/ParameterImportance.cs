using System.Globalization;
using Courseware.Notebooks;

namespace Courseware.Sweeps;

/// <summary>How much one parameter (or one value of a categorical parameter) matters for the metric.</summary>
/// <param name="Feature">The parameter, or <c>name=value</c> for a categorical one (one-hot, as W&amp;B does).</param>
/// <param name="Correlation">Pearson correlation between the feature and the metric (NaN when either is constant).</param>
/// <param name="Importance">Random-forest importance: the share of the metric's variance the forest's splits on this feature remove (all features sum to 1).</param>
public sealed record FeatureImportance(string Feature, double Correlation, double Importance);

/// <summary>
/// W&amp;B's parameter-importance panel: the correlation of each parameter with the metric, and a model-based
/// importance from a random forest fitted to predict the metric from the parameters (mean decrease in impurity,
/// as scikit-learn's <c>feature_importances_</c>). Correlation sees only straight-line effects of one parameter;
/// the forest also sees non-monotonic effects and interactions.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ParameterImportance
{
    private ParameterImportance(string metric, IReadOnlyList<FeatureImportance> features, int trials)
    {
        Metric = metric;
        Features = features;
        TrialCount = trials;
    }

    /// <summary>The metric explained.</summary>
    public string Metric { get; }

    /// <summary>One row per feature, most important first.</summary>
    public IReadOnlyList<FeatureImportance> Features { get; }

    /// <summary>How many trials the estimate rests on.</summary>
    public int TrialCount { get; }

    /// <summary>
    /// Computes the importances from configurations and metric values (numeric parameters as they are; categorical
    /// ones one-hot). <paramref name="trees"/> and <paramref name="seed"/> set the forest.
    /// </summary>
    public static ParameterImportance Compute(string metric, IReadOnlyList<(ParameterValues Config, double Value)> results, int trees = 100, int seed = 0)
    {
        if (results.Count < 3) throw new ArgumentException($"Parameter importance needs at least 3 results with a value of {metric}, but there are {results.Count}.", nameof(results));
        var (names, x) = Encode(results.Select(r => r.Config).ToList());
        var y = results.Select(r => r.Value).ToArray();
        var forest = RandomForest.Fit(x, y, trees, seed);
        var rows = names.Select((n, j) => new FeatureImportance(n, Pearson(x.Select(r => r[j]).ToArray(), y), forest.Importance[j]))
            .OrderByDescending(f => f.Importance).ThenBy(f => f.Feature, StringComparer.Ordinal).ToList();
        return new ParameterImportance(metric, rows, results.Count);
    }

    /// <summary>Feature names and the numeric matrix: numbers as they are, bools 0/1, anything else one-hot per value.</summary>
    internal static (IReadOnlyList<string> Names, double[][] X) Encode(IReadOnlyList<ParameterValues> configs)
    {
        var columns = new List<(string Name, Func<ParameterValues, double> Get)>();
        foreach (var key in configs.SelectMany(c => c.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            var values = configs.Select(c => c.TryGetValue(key, out var v) ? v : null).ToList();
            if (values.All(v => v is null or double or float or long or int or bool))
                columns.Add((key, c => c.TryGetValue(key, out var v) && v is not null ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : double.NaN));
            else
                foreach (var level in values.Select(ParameterValues.KeyOf).Distinct().Order(StringComparer.Ordinal))
                    columns.Add(($"{key}={level.Trim('"')}", c => c.TryGetValue(key, out var v) && ParameterValues.KeyOf(v) == level ? 1 : 0));
        }
        // Constant columns carry no information (and make correlation undefined).
        columns = columns.Where(col => configs.Select(col.Get).Distinct().Count() > 1).ToList();
        return (columns.Select(c => c.Name).ToList(), configs.Select(c => columns.Select(col => col.Get(c)).ToArray()).ToArray());
    }

    /// <summary>Pearson's r over the pairs where both are finite; NaN when either side is constant.</summary>
    internal static double Pearson(double[] a, double[] b)
    {
        var pairs = a.Zip(b).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        if (pairs.Count < 2) return double.NaN;
        double ma = pairs.Average(p => p.First), mb = pairs.Average(p => p.Second), sab = 0, saa = 0, sbb = 0;
        foreach (var (x, y) in pairs)
        {
            sab += (x - ma) * (y - mb);
            saa += (x - ma) * (x - ma);
            sbb += (y - mb) * (y - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }
}

/// <summary>
/// A regression random forest (bootstrap samples, CART trees split to minimise squared error, one third of the
/// features tried at each split as R's randomForest does for regression) and its impurity-based importances.
/// </summary>
internal sealed class RandomForest
{
    private const int MinLeaf = 2;

    private RandomForest(double[] importance) => Importance = importance;

    /// <summary>Mean decrease in impurity per feature, normalised to sum to 1 (all zero when no split helped).</summary>
    public double[] Importance { get; }

    public static RandomForest Fit(double[][] x, double[] y, int trees, int seed)
    {
        var d = x.Length == 0 ? 0 : x[0].Length;
        var total = new double[d];
        var random = new Random(seed);
        var tryFeatures = Math.Max(1, d / 3);
        for (var t = 0; t < trees; t++)
        {
            var sample = Enumerable.Range(0, y.Length).Select(_ => random.Next(y.Length)).ToArray();
            Grow(x, y, sample, tryFeatures, random, total);
        }
        var sum = total.Sum();
        return new RandomForest(sum > 0 ? total.Select(v => v / sum).ToArray() : total);
    }

    private static void Grow(double[][] x, double[] y, int[] rows, int tryFeatures, Random random, double[] importance)
    {
        if (rows.Length < 2 * MinLeaf) return;
        var features = Enumerable.Range(0, importance.Length).OrderBy(_ => random.Next()).Take(tryFeatures).ToArray();
        var parent = SumSquares(y, rows);
        (int Feature, double Threshold, double Gain) best = (-1, 0, 0);
        foreach (var f in features)
        {
            var sorted = rows.Where(r => !double.IsNaN(x[r][f])).OrderBy(r => x[r][f]).ToArray();
            double leftSum = 0, leftSq = 0, totalSum = sorted.Sum(r => y[r]), totalSq = sorted.Sum(r => y[r] * y[r]);
            for (var i = 0; i < sorted.Length - 1; i++)
            {
                leftSum += y[sorted[i]];
                leftSq += y[sorted[i]] * y[sorted[i]];
                if (x[sorted[i]][f] == x[sorted[i + 1]][f] || i + 1 < MinLeaf || sorted.Length - i - 1 < MinLeaf) continue;
                var nl = i + 1;
                var nr = sorted.Length - nl;
                var sse = leftSq - leftSum * leftSum / nl + (totalSq - leftSq) - (totalSum - leftSum) * (totalSum - leftSum) / nr;
                var gain = parent - sse;
                if (gain > best.Gain + 1e-12) best = (f, (x[sorted[i]][f] + x[sorted[i + 1]][f]) / 2, gain);
            }
        }
        if (best.Feature < 0) return;
        importance[best.Feature] += best.Gain;
        Grow(x, y, rows.Where(r => x[r][best.Feature] <= best.Threshold).ToArray(), tryFeatures, random, importance);
        Grow(x, y, rows.Where(r => x[r][best.Feature] > best.Threshold).ToArray(), tryFeatures, random, importance);
    }

    private static double SumSquares(double[] y, int[] rows)
    {
        var mean = rows.Average(r => y[r]);
        return rows.Sum(r => (y[r] - mean) * (y[r] - mean));
    }
}
