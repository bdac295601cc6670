namespace Courseware.Evaluation;

/// <summary>How Cohen's kappa weighs a disagreement between label i and label j (positions in the sorted label order).</summary>
public enum KappaWeighting
{
    /// <summary>Every disagreement weighs 1 (plain Cohen's kappa, for nominal labels).</summary>
    None,
    /// <summary>|i − j|: for ordinal ratings, a near miss costs less than a far one.</summary>
    Linear,
    /// <summary>(i − j)²: far misses cost much more; close to the intraclass correlation.</summary>
    Quadratic,
}

/// <summary>What the values mean to Krippendorff's alpha, which sets how much a disagreement between two values weighs.</summary>
public enum MeasurementLevel
{
    /// <summary>Categories: any two different values disagree equally (δ² = 1).</summary>
    Nominal,
    /// <summary>Ranks: δ² grows with the number of values coded between the two.</summary>
    Ordinal,
    /// <summary>Numbers with meaningful differences: δ² = (c − k)².</summary>
    Interval,
    /// <summary>Numbers with a meaningful zero: δ² = ((c − k) / (c + k))².</summary>
    Ratio,
}

public static partial class Stats
{
    /// <summary>Raw agreement: the share of items on which two raters give the same label.</summary>
    public static double RawAgreement<T>(IReadOnlyList<T> raterA, IReadOnlyList<T> raterB) where T : notnull =>
        Classification.Accuracy(raterA, raterB);

    /// <summary>
    /// Cohen's kappa (scikit-learn's <c>cohen_kappa_score</c>): κ = 1 − Σ wᵢⱼ oᵢⱼ / Σ wᵢⱼ eᵢⱼ over the confusion counts o
    /// of the two raters and the counts e = (row total × column total) / n expected by chance, with disagreement weights
    /// w from <paramref name="weighting"/> (unweighted: κ = (pₒ − pₑ) / (1 − pₑ)). 1 = perfect, 0 = chance level.
    /// Weights use each label's position in <paramref name="labels"/> (default: the sorted labels the raters used), so
    /// give the full scale for ordinal ratings. NaN when chance alone explains every agreement (e.g. one single label).
    /// </summary>
    /// <example><code>Stats.CohensKappa(judgeRatings, humanRatings, KappaWeighting.Quadratic)</code></example>
    public static double CohensKappa<T>(IReadOnlyList<T> raterA, IReadOnlyList<T> raterB,
        KappaWeighting weighting = KappaWeighting.None, IReadOnlyList<T>? labels = null) where T : notnull
    {
        var cm = ConfusionMatrix.Create(raterA, raterB, labels);
        int k = cm.Labels.Count;
        double n = cm.Total, observed = 0, expected = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double w = weighting switch
                {
                    KappaWeighting.None => i == j ? 0 : 1,
                    KappaWeighting.Linear => Math.Abs(i - j),
                    KappaWeighting.Quadratic => (i - j) * (i - j),
                    _ => throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "expected None, Linear or Quadratic."),
                };
                observed += w * cm[i, j];
                expected += w * cm.TrueCount(i) * (cm.PredictedCount(j) / n);
            }
        return expected == 0 ? double.NaN : 1 - observed / expected;
    }

    /// <summary>
    /// Fleiss' kappa for any fixed number of raters per item (statsmodels' <c>fleiss_kappa</c>):
    /// <paramref name="ratings"/>[i] holds the labels the raters gave item i. With nᵢⱼ raters putting item i in category j,
    /// r raters per item and N items, Pᵢ = (Σⱼ nᵢⱼ² − r) / (r(r − 1)), pⱼ = Σᵢ nᵢⱼ / (N r), κ = (mean Pᵢ − Σⱼ pⱼ²) / (1 − Σⱼ pⱼ²).
    /// The raters need not be the same people from item to item. NaN when every rating is the same label.
    /// </summary>
    /// <example><code>Stats.FleissKappa([["good", "good", "bad"], ["bad", "bad", "bad"]])</code></example>
    public static double FleissKappa<T>(IReadOnlyList<IReadOnlyList<T>> ratings) where T : notnull
    {
        Check.NotEmpty(ratings, nameof(ratings));
        int raters = ratings[0]?.Count ?? 0;
        if (raters < 2) throw new ArgumentException($"ratings[0] has {raters} ratings; Fleiss' kappa needs at least 2 raters per item.", nameof(ratings));
        var category = new Dictionary<T, int>();
        var perItem = new List<Dictionary<int, int>>();
        for (int i = 0; i < ratings.Count; i++)
        {
            var row = ratings[i];
            if (row is null || row.Count != raters)
                throw new ArgumentException($"ratings[{i}] has {row?.Count ?? 0} ratings but ratings[0] has {raters}; every item needs the same number of raters.", nameof(ratings));
            var counts = new Dictionary<int, int>();
            for (int r = 0; r < raters; r++)
            {
                if (row[r] is null) throw new ArgumentException($"ratings[{i}][{r}] is null; expected a label.", nameof(ratings));
                if (!category.TryGetValue(row[r], out int j)) category[row[r]] = j = category.Count;
                counts[j] = counts.GetValueOrDefault(j) + 1;
            }
            perItem.Add(counts);
        }
        var totals = new double[category.Count];
        double agreement = 0;
        foreach (var counts in perItem)
        {
            double squares = 0;
            foreach (var (j, c) in counts) { totals[j] += c; squares += (double)c * c; }
            agreement += (squares - raters) / (raters * (raters - 1.0));
        }
        agreement /= perItem.Count;
        double all = (double)perItem.Count * raters, chance = totals.Sum(t => t / all * (t / all));
        return (agreement - chance) / (1 - chance);
    }

    /// <summary>
    /// Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): reliability for any number
    /// of coders, missing values and any <see cref="MeasurementLevel"/>. <paramref name="reliabilityData"/>[c][u] is coder
    /// c's value for unit u, null where the coder gave none. Units with fewer than two values are left out; the others fill
    /// the coincidence matrix oₖₗ (each ordered pair of values within a unit of m values adds 1 / (m − 1)); with nₖ its row
    /// sums and n their total, α = 1 − (n − 1) Σ oₖₗ δ²ₖₗ / Σ nₖ nₗ δ²ₖₗ. 1 = perfect, 0 = chance. NaN when all values are
    /// the same (no variation to agree on; Krippendorff leaves α undefined there).
    /// </summary>
    /// <example><code>Stats.KrippendorffAlpha([[1, 2, 3, null], [1, 2, 4, 4]], MeasurementLevel.Ordinal)</code></example>
    public static double KrippendorffAlpha(IReadOnlyList<IReadOnlyList<double?>> reliabilityData, MeasurementLevel level = MeasurementLevel.Nominal)
    {
        Check.NotEmpty(reliabilityData, nameof(reliabilityData));
        int units = reliabilityData[0]?.Count ?? 0;
        for (int c = 0; c < reliabilityData.Count; c++)
        {
            var row = reliabilityData[c];
            if (row is null || row.Count != units)
                throw new ArgumentException($"reliabilityData[{c}] has {row?.Count ?? 0} units but reliabilityData[0] has {units}; one row per coder, one column per unit.", nameof(reliabilityData));
            for (int u = 0; u < units; u++)
                if (row[u] is double v && !double.IsFinite(v))
                    throw new ArgumentException($"reliabilityData[{c}][{u}] is {v}; expected a finite value or null for a missing one.", nameof(reliabilityData));
        }
        var values = reliabilityData.SelectMany(r => r).OfType<double>().Distinct().Order().ToArray();
        var index = values.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i);
        int k = values.Length;
        var coincidences = new double[k, k];
        bool pairable = false;
        var counts = new double[k];
        for (int u = 0; u < units; u++)
        {
            Array.Clear(counts);
            int m = 0;
            foreach (var row in reliabilityData)
                if (row[u] is double v) { counts[index[v]]++; m++; }
            if (m < 2) continue;
            pairable = true;
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++)
                    coincidences[a, b] += counts[a] * (counts[b] - (a == b ? 1 : 0)) / (m - 1);
        }
        if (!pairable) throw new ArgumentException("no unit has values from two coders; alpha needs pairable values.", nameof(reliabilityData));
        var marginals = new double[k];
        for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) marginals[a] += coincidences[a, b];
        double n = marginals.Sum(), observed = 0, expected = 0;
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                double d2 = level switch
                {
                    MeasurementLevel.Nominal => a == b ? 0 : 1,
                    MeasurementLevel.Ordinal => Square(Sum(marginals, Math.Min(a, b), Math.Max(a, b)) - (marginals[a] + marginals[b]) / 2),
                    MeasurementLevel.Interval => Square(values[a] - values[b]),
                    MeasurementLevel.Ratio => values[a] + values[b] == 0 ? 0 : Square((values[a] - values[b]) / (values[a] + values[b])),
                    _ => throw new ArgumentOutOfRangeException(nameof(level), level, "expected Nominal, Ordinal, Interval or Ratio."),
                };
                observed += coincidences[a, b] * d2;
                expected += marginals[a] * marginals[b] * d2;
            }
        return expected == 0 ? double.NaN : 1 - (n - 1) * observed / expected;

        static double Square(double x) => x * x;
        static double Sum(double[] x, int from, int to) { double s = 0; for (int i = from; i <= to; i++) s += x[i]; return s; }
    }
}
