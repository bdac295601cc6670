using MathNet.Numerics.Distributions;

namespace Courseware.Sweeps;

/// <summary>
/// W&amp;B's bayes search (bayes_search.py) with categoricals made unordered: every numeric parameter is mapped to
/// [0, 1] through its CDF, every categorical to a one-hot vector; a Gaussian process is fitted to (encoded
/// configuration, metric), and of 1000 random candidates the one with the largest expected improvement is taken.
/// </summary>
/// <remarks>
/// As in W&amp;B: failed, crashed and killed runs (and finished runs without a value) get the worst value seen;
/// the process is fitted on at most 100 results (drawn with replacement when there are more); pending and running
/// runs (at most 95) are added with the process's own predictions as stand-in values and the process is refitted,
/// so parallel suggestions spread out; fewer than 2 results give a random candidate.
/// Ours: categoricals are one-hot with 1/√2 per coordinate, so any two different choices are at distance 1 (the
/// width of a numeric coordinate) and no choice sits "between" two others, as it does on W&amp;B's index scale
/// (see the Sweeps README). An inactive conditional parameter sits at 0.5 (numeric) or all zeros (categorical).
/// Results with a heavy right tail (skewness above 1) are modelled on a log scale (<see cref="LogWarp"/>).
/// When the process cannot be used (its length scale on a bound: the data look like noise or a constant to it; or
/// its kernel matrix not positive definite), the suggestion comes from multivariate TPE on the same results
/// (random before TPE's 10) and <see cref="Suggestion.Fallback"/> says why, rather than W&amp;B's silent random
/// candidate. A candidate already run or claimed is passed over for the next best.
/// </remarks>
internal static class BayesSearch
{
    public const int MaxSamplesForGp = 100;
    public const int CandidateCount = 1000;
    private const double InactiveCoordinate = 0.5;
    private static readonly double OneHot = Math.Sqrt(0.5);

    public static Suggestion? Next(SearchSpace space, SweepMetric metric, IReadOnlyList<KnownRun> runs, HashSet<string> used,
        Random random, FeatureCache? cache = null)
    {
        var dims = space.Searchable.ToList();
        cache ??= new FeatureCache();
        var worst = WorstValue(metric, runs);
        var sampleX = new List<double[]>();
        var sampleY = new List<double>();
        var currentX = new List<double[]>();
        foreach (var (config, run) in runs)
        {
            var x = cache.Get(config, c => Encode(dims, c));
            if (run.IsInFlight) { currentX.Add(x); continue; }
            var y = run.State is RunState.Finished or RunState.Stopped ? run.Objective(metric.Goal) ?? worst : worst;
            sampleX.Add(x);
            sampleY.Add(metric.AsLoss(double.IsFinite(y) ? y : worst));
        }

        if (sampleY.Count < 2)
            return Pick([space.Sample(random)], space, used, random, "random (fewer than 2 results)");

        // More results than the process can take: a random subset, with replacement, as W&B does.
        double[][] x0;
        double[] y0;
        if (sampleY.Count > MaxSamplesForGp)
        {
            var idx = Enumerable.Range(0, MaxSamplesForGp).Select(_ => random.Next(sampleY.Count)).ToArray();
            x0 = idx.Select(i => sampleX[i]).ToArray();
            y0 = idx.Select(i => sampleY[i]).ToArray();
        }
        else
        {
            x0 = sampleX.ToArray();
            y0 = sampleY.ToArray();
        }
        // Heavy right tail (a few very bad results, as on Rosenbrock or Branin): the process is fitted on a log scale (see
        // the Sweeps README); symmetric or left-tailed results (Hartmann-6) keep their scale.
        var warped = Skewness(y0) > SkewnessForLog;
        if (warped) y0 = LogWarp(y0);
        GaussianProcess gp;
        try
        {
            gp = GaussianProcess.Fit(x0, y0);
            if (currentX.Count > 0)
            {
                var fantasies = currentX.Take(MaxSamplesForGp - 5).ToArray();
                gp = GaussianProcess.Fit([.. x0, .. fantasies], [.. y0, .. fantasies.Select(gp.PredictRaw)]);
            }
        }
        catch (InvalidOperationException e)
        {
            return Fallback(space, metric, runs, used, random, $"the Gaussian process could not be fitted ({e.Message})");
        }
        if (gp.LengthScaleAtBound)
            return Fallback(space, metric, runs, used, random,
                $"the Gaussian process's length scale {gp.LengthScale:G3} is on its bound (the results look like noise or a constant to it)");

        var best = (y0.Min() - gp.YMean) / gp.YStd;
        var scored = new List<(Dictionary<string, object?> Values, double Ei)>(CandidateCount);
        for (var i = 0; i < CandidateCount; i++)
        {
            var candidate = space.SampleValues(random);
            var (mean, std) = gp.Predict(Encode(dims, candidate));
            scored.Add((candidate, ExpectedImprovement(mean, std, best)));
        }
        scored.Sort((a, b) => b.Ei.CompareTo(a.Ei)); // deterministic; ties are measure-zero events
        // Configurations (and their keys) only for the candidates looked at, best first.
        var eiByKey = new Dictionary<string, double>(StringComparer.Ordinal);
        var chosen = Unused.Pick(scored.Select(s =>
        {
            var config = new ParameterValues(s.Values);
            eiByKey.TryAdd(config.Key, s.Ei);
            return config;
        }), space, used, random);
        if (chosen is null) return null;
        var ei = eiByKey.GetValueOrDefault(chosen.Key);
        return new Suggestion(chosen, $"bayes: expected improvement {ei:G3} ({(warped ? "standardised log units" : "standardised units")}) from {sampleY.Count} results, length scale {gp.LengthScale:G3}");
    }

    /// <summary>Skewness of the results above which the process is fitted to their log (<see cref="LogWarp"/>).</summary>
    public const double SkewnessForLog = 2.0;

    /// <summary>Population skewness: the third standardised moment, 0 when all values are equal.</summary>
    internal static double Skewness(double[] y)
    {
        var mean = y.Average();
        double m2 = 0, m3 = 0;
        foreach (var v in y)
        {
            var d = v - mean;
            m2 += d * d;
            m3 += d * d * d;
        }
        m2 /= y.Length;
        m3 /= y.Length;
        return m2 <= 0 ? 0 : m3 / Math.Pow(m2, 1.5);
    }

    /// <summary>
    /// log(y − min + c) with c a tenth of the distance from the best result to the median one: keeps the order and the
    /// detail near the best results while a few very bad ones no longer set the scale.
    /// </summary>
    internal static double[] LogWarp(double[] y)
    {
        var sorted = y.Order().ToArray();
        var min = sorted[0];
        var median = sorted[sorted.Length / 2];
        var offset = 0.1 * (median - min) + 1e-12;
        return y.Select(v => Math.Log(v - min + offset)).ToArray();
    }

    /// <summary>The suggestion when the process cannot be used: multivariate TPE on the same results, the reason recorded.</summary>
    private static Suggestion? Fallback(SearchSpace space, SweepMetric metric, IReadOnlyList<KnownRun> runs, HashSet<string> used,
        Random random, string reason) =>
        TpeSearch.Next(space, metric, runs, used, random) is { } s
            ? s with { Note = $"{s.Note} (bayes fallback: {reason})", Fallback = reason }
            : null;

    /// <summary>W&amp;B's expected improvement for minimisation, in standardised units.</summary>
    internal static double ExpectedImprovement(double mean, double std, double best)
    {
        var z = -(mean - best) / (std + GaussianProcess.StdEpsilon);
        return -(mean - best) * Normal.CDF(0, 1, z) + std * Normal.PDF(0, 1, z);
    }

    /// <summary>The worst value any ended run logged (W&amp;B's "worst" imputation), 0 when there is none.</summary>
    internal static double WorstValue(SweepMetric metric, IReadOnlyList<KnownRun> runs)
    {
        double? worst = null;
        foreach (var (_, run) in runs)
        {
            if (!run.IsTerminal || run.Worst(metric.Goal) is not double w) continue;
            if (worst is null || metric.IsBetter(worst.Value, w)) worst = w;
        }
        return worst ?? 0.0;
    }

    /// <summary>Numeric parameters on their CDF scale, categoricals one-hot (see the remarks).</summary>
    internal static double[] Encode(IReadOnlyList<SpaceParameter> dims, IReadOnlyDictionary<string, object?> config)
    {
        var width = dims.Sum(d => d.Parameter.IsCategorical ? d.Parameter.Choices.Count : 1);
        var x = new double[width];
        var j = 0;
        foreach (var d in dims)
        {
            var present = config.TryGetValue(d.Name, out var v);
            if (d.Parameter.IsCategorical)
            {
                if (present) x[j + d.Parameter.IndexOf(v)] = OneHot;
                j += d.Parameter.Choices.Count;
            }
            else x[j++] = present ? d.Parameter.Cdf(v) : InactiveCoordinate;
        }
        return x;
    }

    private static Suggestion? Pick(IEnumerable<ParameterValues> configs, SearchSpace space, HashSet<string> used, Random random, string note) =>
        Unused.Pick(configs, space, used, random) is { } c ? new Suggestion(c, note) : null;
}

/// <summary>Each configuration's encoding, computed once per sweep: a suggestion prepares only the runs it has not seen.</summary>
internal sealed class FeatureCache
{
    private readonly Dictionary<string, double[]> features = new(StringComparer.Ordinal);

    public double[] Get(ParameterValues config, Func<ParameterValues, double[]> encode)
    {
        if (!features.TryGetValue(config.Key, out var x)) features[config.Key] = x = encode(config);
        return x;
    }
}
