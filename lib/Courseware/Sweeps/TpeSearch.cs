namespace Courseware.Sweeps;

/// <summary>
/// Optuna's TPESampler with its defaults (v4.9, univariate): random for the first 10 results (finished + stopped);
/// then, parameter by parameter, the results are split into the best γ(n) = min(⌈0.1 n⌉, 25) ("below") and the rest
/// ("above"); a Parzen estimator (prior weight 1, magic clip, no endpoints, Optuna's default weights) is fitted to
/// each side; of 24 candidates drawn from the "below" estimator the one maximising log l(x) − log g(x) is taken.
/// </summary>
/// <remarks>
/// Pending and running runs go to the "above" side (Optuna's constant liar, on by default on master for one
/// objective), so parallel suggestions avoid each other. A conditional parameter learns only from the runs where it
/// existed, as Optuna's define-by-run search does. Stopped (early-terminated) runs rank after finished ones, by
/// how far they got and then by their last value, like Optuna's PRUNED trials.
/// Distributions Optuna has no counterpart for (normal, log_normal, beta and their q forms) are searched on their
/// CDF scale [0, 1].
/// </remarks>
internal static class TpeSearch
{
    public const int StartupTrials = 10;
    public const int EiCandidates = 24;
    public const double PriorWeight = 1.0;

    public static int Gamma(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <summary>Optuna's default_weights: flat below 25 observations, else a ramp from 1/n for the oldest ones.</summary>
    public static double[] DefaultWeights(int n)
    {
        if (n < 25) return Enumerable.Repeat(1.0, n).ToArray();
        var w = new double[n];
        var rampCount = n - 25;
        for (var i = 0; i < rampCount; i++)
            w[i] = rampCount == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (rampCount - 1);
        for (var i = rampCount; i < n; i++) w[i] = 1;
        return w;
    }

    public static Suggestion? Next(SearchSpace space, SweepMetric metric, IReadOnlyList<KnownRun> runs, HashSet<string> used, Random random)
    {
        var complete = runs.Where(r => r.Run.State == RunState.Finished && r.Run.Objective(metric.Goal) is not null).ToList();
        var pruned = runs.Where(r => r.Run.State == RunState.Stopped).ToList();
        if (complete.Count + pruned.Count < StartupTrials)
            return RandomSearch.Next(space, used, random) is { } r ? r with { Note = $"random (tpe starts after {StartupTrials} results)" } : null;

        var (below, above) = Split(metric, runs, complete, pruned);
        var note = $"tpe: {below.Count} best of {complete.Count + pruned.Count} results against the rest";
        var ranked = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        var assigned = new List<KeyValuePair<string, object?>>();
        var leaves = 0;
        if (Search(0) is { } best) return new Suggestion(best, note);
        return Unused.Pick([], space, used, random) is { } c ? new Suggestion(c, "random (every tpe candidate was already used)") : null;

        // Optuna takes each parameter's best candidate. When that configuration was already run or claimed, we take the
        // next best candidate of the last parameter that has one, depth first, so a duplicate never goes out.
        ParameterValues? Search(int index)
        {
            if (index == space.Parameters.Count)
            {
                var config = new ParameterValues(assigned);
                return used.Contains(config.Key) ? null : config;
            }
            var p = space.Parameters[index];
            var lookup = assigned.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
            if (!SearchSpace.IsActive(p.Parameter, lookup)) return Search(index + 1);
            IReadOnlyList<object?> choices = p.Parameter.IsConstant ? [p.Parameter.Value]
                : ranked.TryGetValue(p.Name, out var r) ? r : ranked[p.Name] = RankedCandidates(p, below, above, random);
            foreach (var choice in choices)
            {
                if (++leaves > MaxCandidatesTried) return null;
                assigned.Add(new(p.Name, choice));
                var found = Search(index + 1);
                assigned.RemoveAt(assigned.Count - 1);
                if (found is not null) return found;
            }
            return null;
        }
    }

    private const int MaxCandidatesTried = 2000;

    /// <summary>Optuna's _split_trials: best finished runs first, then the stopped ones that got furthest; in-flight runs above.</summary>
    private static (List<KnownRun> Below, List<KnownRun> Above) Split(SweepMetric metric, IReadOnlyList<KnownRun> runs,
        List<KnownRun> complete, List<KnownRun> pruned)
    {
        var inFlight = runs.Where(r => r.Run.IsInFlight);
        var nBelow = Gamma(complete.Count + pruned.Count);
        var sortedComplete = complete.OrderBy(r => metric.AsLoss(r.Run.Objective(metric.Goal)!.Value)).ToList();
        var belowComplete = sortedComplete.Take(nBelow).ToList();
        nBelow = Math.Max(0, nBelow - belowComplete.Count);
        var sortedPruned = pruned.OrderBy(r => PrunedScore(metric, r.Run)).ToList();
        var below = belowComplete.Concat(sortedPruned.Take(nBelow)).ToList();
        var above = sortedComplete.Skip(belowComplete.Count).Concat(sortedPruned.Skip(nBelow)).Concat(inFlight).ToList();
        // Optuna orders each side by trial number, which its weights depend on.
        var order = new Dictionary<KnownRun, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < runs.Count; i++) order[runs[i]] = i;
        return (below.OrderBy(r => order[r]).ToList(), above.OrderBy(r => order[r]).ToList());
    }

    private static (double, double) PrunedScore(SweepMetric metric, SweepRun run)
    {
        var history = run.History ?? [];
        if (history.Count == 0) return (1, 0);
        var last = history[^1];
        return (-(history.Count - 1), double.IsNaN(last) ? double.PositiveInfinity : metric.AsLoss(last));
    }

    /// <summary>The distinct values of <see cref="EiCandidates"/> draws from l(x), best log l(x) − log g(x) first.</summary>
    private static List<object?> RankedCandidates(SpaceParameter p, List<KnownRun> below, List<KnownRun> above, Random random)
    {
        var domain = TpeDomain.For(p.Parameter);
        double[] Observations(List<KnownRun> runs) => runs
            .Where(r => r.Config.ContainsKey(p.Name))
            .Select(r => domain.ToInternal(r.Config[p.Name])).ToArray();
        var l = new ParzenEstimator(domain, Observations(below));
        var g = new ParzenEstimator(domain, Observations(above));
        return l.Sample(random, EiCandidates)
            .Select((x, i) => (X: x, Score: l.LogPdf(x) - g.LogPdf(x), Index: i))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Index) // ties: the first drawn, as numpy.argmax
            .Select(c => domain.FromInternal(c.X))
            .DistinctBy(ParameterValues.KeyOf)
            .ToList();
    }

    /// <summary>
    /// One parameter as Optuna sees it: a categorical with n choices, or a numeric range [Low, High] that may be on a
    /// log scale and may be discrete with a step.
    /// </summary>
    internal sealed record TpeDomain(int Choices, double Low, double High, double Step, bool Log,
        Func<object?, double> ToInternal, Func<double, object?> FromInternal)
    {
        public bool IsCategorical => Choices > 0;

        public static TpeDomain For(Parameter p)
        {
            if (p.IsCategorical)
                return new(p.Choices.Count, 0, 0, 0, false, v => p.IndexOf(v), x => p.Choices[(int)x]);
            switch (p.Distribution)
            {
                case Distribution.IntUniform:
                    return new(0, p.Min, p.Max, 1, false, Parameter.ToDouble, x => (long)Math.Round(x));
                case Distribution.Uniform:
                    return new(0, p.Min, p.Max, 0, false, Parameter.ToDouble, x => x);
                case Distribution.LogUniformValues or Distribution.InvLogUniformValues:
                    return new(0, p.Min, p.Max, 0, true, Parameter.ToDouble, x => x);
                case Distribution.LogUniform:
                    return new(0, Math.Exp(p.Min), Math.Exp(p.Max), 0, true, Parameter.ToDouble, x => x);
                case Distribution.InvLogUniform:
                    return new(0, Math.Exp(-p.Max), Math.Exp(-p.Min), 0, true, Parameter.ToDouble, x => x);
                case Distribution.QUniform or Distribution.QLogUniform or Distribution.QLogUniformValues:
                    var (kLow, kHigh) = p.QSupport();
                    return new(0, kLow * p.Q, kHigh * p.Q, p.Q, p.Distribution != Distribution.QUniform, Parameter.ToDouble,
                        x => p.QValue(x));
                default:
                    // normal, log_normal, beta and q forms: search the CDF scale, map back through the inverse CDF
                    return new(0, 0, 1, 0, false, p.Cdf, p.Ppf);
            }
        }
    }

    /// <summary>Optuna's univariate _ParzenEstimator for one parameter: a weighted mixture with one kernel per observation plus a prior.</summary>
    internal sealed class ParzenEstimator
    {
        private readonly TpeDomain domain;
        private readonly double[] weights;
        private readonly double[][]? categorical; // per kernel: probability of each choice
        private readonly double[] mus = [], sigmas = [];
        private readonly double low, high;         // in the transformed (log) scale, widened by step/2 when discrete

        public ParzenEstimator(TpeDomain domain, double[] observations)
        {
            this.domain = domain;
            var w = DefaultWeights(observations.Length);
            weights = observations.Length == 0 ? [1.0] : [.. w, PriorWeight];
            var total = weights.Sum();
            for (var i = 0; i < weights.Length; i++) weights[i] /= total;

            if (domain.IsCategorical)
            {
                var n = domain.Choices;
                if (observations.Length == 0)
                {
                    categorical = [Enumerable.Repeat(1.0 / n, n).ToArray()];
                    return;
                }
                var kernels = observations.Length + 1;
                categorical = new double[kernels][];
                for (var k = 0; k < kernels; k++)
                {
                    var row = Enumerable.Repeat(PriorWeight / kernels, n).ToArray();
                    if (k < observations.Length) row[(int)observations[k]] += 1;
                    var sum = row.Sum();
                    for (var c = 0; c < n; c++) row[c] /= sum;
                    categorical[k] = row;
                }
                return;
            }

            low = domain.Low - domain.Step / 2;
            high = domain.High + domain.Step / 2;
            var obs = observations;
            if (domain.Log)
            {
                low = Math.Log(low);
                high = Math.Log(high);
                obs = observations.Select(o => Math.Log(o)).ToArray();
            }
            var s = Sigmas(obs, low, high);
            mus = [.. obs, 0.5 * (low + high)];
            sigmas = [.. s, high - low];
        }

        /// <summary>Bandwidths from neighbour distances (consider_endpoints False), clipped by the magic clip.</summary>
        private static double[] Sigmas(double[] mus, double low, double high)
        {
            var n = mus.Length;
            if (n == 0) return [];
            var order = Enumerable.Range(0, n).OrderBy(i => mus[i]).ToArray();
            var withEnds = new double[n + 2];
            withEnds[0] = low;
            for (var i = 0; i < n; i++) withEnds[i + 1] = mus[order[i]];
            withEnds[n + 1] = high;
            var sorted = new double[n];
            for (var i = 0; i < n; i++)
                sorted[i] = Math.Max(withEnds[i + 1] - withEnds[i], withEnds[i + 2] - withEnds[i + 1]);
            if (withEnds.Length >= 4)
            {
                sorted[0] = withEnds[2] - withEnds[1];
                sorted[n - 1] = withEnds[n] - withEnds[n - 1];
            }
            var maxSigma = high - low;
            var minSigma = (high - low) / Math.Min(100.0, 1.0 + (n + 1));
            var sigmas = new double[n];
            for (var i = 0; i < n; i++) sigmas[order[i]] = Math.Clamp(sorted[i], minSigma, maxSigma);
            return sigmas;
        }

        public double[] Sample(Random random, int count)
        {
            var result = new double[count];
            for (var i = 0; i < count; i++)
            {
                var k = Choose(weights, random.NextDouble());
                if (categorical is not null)
                {
                    result[i] = Choose(categorical[k], random.NextDouble());
                    continue;
                }
                var x = TruncatedNormal.Sample(mus[k], sigmas[k], low, high, random);
                if (domain.Log) x = Math.Exp(x);
                if (domain.Step > 0)
                    x = Math.Clamp(domain.Low + Math.Round((x - domain.Low) / domain.Step) * domain.Step, domain.Low, domain.High);
                result[i] = x;
            }
            return result;
        }

        public double LogPdf(double x)
        {
            var terms = new double[weights.Length];
            for (var k = 0; k < weights.Length; k++)
            {
                double logP;
                if (categorical is not null) logP = Math.Log(categorical[k][(int)x]);
                else if (domain.Step > 0)
                {
                    double lo = x - domain.Step / 2, hi = x + domain.Step / 2;
                    if (domain.Log) { lo = Math.Log(lo); hi = Math.Log(hi); }
                    logP = TruncatedNormal.LogGaussMass((lo - mus[k]) / sigmas[k], (hi - mus[k]) / sigmas[k])
                           - TruncatedNormal.LogGaussMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]);
                }
                else logP = TruncatedNormal.LogPdf(domain.Log ? Math.Log(x) : x, mus[k], sigmas[k], low, high);
                terms[k] = logP + Math.Log(weights[k]);
            }
            var max = terms.Max();
            if (double.IsNegativeInfinity(max)) return max;
            return max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
        }

        private static int Choose(double[] probabilities, double u)
        {
            double cumulative = 0;
            for (var i = 0; i < probabilities.Length; i++)
            {
                cumulative += probabilities[i];
                if (u < cumulative) return i;
            }
            return probabilities.Length - 1;
        }
    }
}
