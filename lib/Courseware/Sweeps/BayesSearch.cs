using MathNet.Numerics.Distributions;

namespace Courseware.Sweeps;

/// <summary>
/// W&amp;B's bayes search (bayes_search.py): every searchable parameter is mapped to [0, 1] through its CDF, a Gaussian
/// process is fitted to (mapped configuration, metric), and of 1000 uniform random candidates the one with the
/// largest expected improvement is mapped back through the inverse CDF.
/// </summary>
/// <remarks>
/// As in W&amp;B: failed, crashed and killed runs (and finished runs without a value) get the worst value seen;
/// the process is fitted on at most 100 results (drawn with replacement when there are more); pending and running
/// runs (at most 95) are added with the process's own predictions as stand-in values and the process is refitted,
/// so parallel suggestions spread out; fewer than 2 results, or a length scale on its bound, give a random candidate.
/// Ours: an inactive conditional parameter sits at 0.5; a candidate already run or claimed is passed over for the
/// next best.
/// </remarks>
internal static class BayesSearch
{
    public const int MaxSamplesForGp = 100;
    public const int CandidateCount = 1000;
    private const double InactiveCoordinate = 0.5;

    public static Suggestion? Next(SearchSpace space, SweepMetric metric, IReadOnlyList<KnownRun> runs, HashSet<string> used, Random random)
    {
        var dims = space.Searchable.ToList();
        var worst = WorstValue(metric, runs);
        var sampleX = new List<double[]>();
        var sampleY = new List<double>();
        var currentX = new List<double[]>();
        foreach (var (config, run) in runs)
        {
            var x = Encode(dims, config);
            if (run.IsInFlight) { currentX.Add(x); continue; }
            var y = run.State is RunState.Finished or RunState.Stopped ? run.Objective(metric.Goal) ?? worst : worst;
            sampleX.Add(x);
            sampleY.Add(metric.AsLoss(double.IsFinite(y) ? y : worst));
        }

        if (sampleY.Count < 2)
            return Pick(Candidates(dims.Count, 1, random), dims, space, used, random, "random (fewer than 2 results)");

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
        var gp = GaussianProcess.Fit(x0, y0);
        if (currentX.Count > 0)
        {
            var fantasies = currentX.Take(MaxSamplesForGp - 5).ToArray();
            gp = GaussianProcess.Fit([.. x0, .. fantasies], [.. y0, .. fantasies.Select(gp.PredictRaw)]);
        }

        var candidates = Candidates(dims.Count, CandidateCount, random);
        if (gp.LengthScaleAtBound)
        {
            // W&B: np.random.randint(0, n - 1), a random candidate (the last one excluded)
            var pick = candidates[random.Next(candidates.Length - 1)];
            return Pick([pick], dims, space, used, random, $"random (length scale {gp.LengthScale:G3} on its bound)");
        }

        var best = (sampleY.Min() - gp.YMean) / gp.YStd;
        var scored = candidates.Select(c =>
        {
            var (mean, std) = gp.Predict(c);
            return (Point: c, Ei: ExpectedImprovement(mean, std, best));
        }).OrderByDescending(s => s.Ei).ToList();
        var chosen = Unused.Pick(scored.Select(s => Decode(dims, space, s.Point)), space, used, random);
        if (chosen is null) return null;
        var ei = scored.FirstOrDefault(s => Decode(dims, space, s.Point).Key == chosen.Key).Ei;
        return new Suggestion(chosen, $"bayes: expected improvement {ei:G3} (standardised units) from {sampleY.Count} results, length scale {gp.LengthScale:G3}");
    }

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

    private static double[][] Candidates(int dims, int count, Random random)
    {
        var result = new double[count][];
        for (var i = 0; i < count; i++)
        {
            result[i] = new double[dims];
            for (var j = 0; j < dims; j++) result[i][j] = random.NextDouble();
        }
        return result;
    }

    private static double[] Encode(IReadOnlyList<SpaceParameter> dims, ParameterValues config)
    {
        var x = new double[dims.Count];
        for (var j = 0; j < dims.Count; j++)
            x[j] = config.TryGetValue(dims[j].Name, out var v) ? dims[j].Parameter.Cdf(v) : InactiveCoordinate;
        return x;
    }

    private static ParameterValues Decode(IReadOnlyList<SpaceParameter> dims, SearchSpace space, double[] point)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < dims.Count; j++) index[dims[j].Name] = j;
        return space.Build((p, _) => p.Parameter.Ppf(point[index[p.Name]]));
    }

    private static Suggestion? Pick(IEnumerable<double[]> points, IReadOnlyList<SpaceParameter> dims, SearchSpace space,
        HashSet<string> used, Random random, string note) =>
        Unused.Pick(points.Select(p => Decode(dims, space, p)), space, used, random) is { } c ? new Suggestion(c, note) : null;
}
