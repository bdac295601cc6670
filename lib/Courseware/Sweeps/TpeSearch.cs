namespace Courseware.Sweeps;

/// <summary>
/// Optuna's TPESampler (v3.1 defaults, multivariate = True): random for the first 10 results (finished + stopped);
/// then the results are split into the best γ(n) = min(⌈0.1 n⌉, 25) ("below") and the rest ("above"); a Parzen
/// estimator (prior weight 1, magic clip, no endpoints, Optuna's default weights) is fitted to each side; of 24
/// candidates drawn from the "below" estimator the one maximising log l(x) − log g(x) is taken.
/// </summary>
/// <remarks>
/// Multivariate (the default): every parameter that exists in every run (Optuna's intersection search space) is
/// modelled jointly, each kernel a product over the parameters with Scott's-rule bandwidths, so a candidate keeps the
/// combination of values one good run had. Optuna's multivariate TPE is well ahead of its univariate one on
/// Hartmann-6 and on mixed spaces (bench/sweeps-quality). Conditional parameters are then chosen one by one
/// (univariate), each learning only from the runs where it existed, as Optuna's define-by-run search does.
/// Pending and running runs go to the "above" side (Optuna's constant liar), so parallel suggestions avoid each
/// other. Stopped (early-terminated) runs rank after finished ones, by how far they got and then by their last
/// value, like Optuna's PRUNED trials. Distributions Optuna has no counterpart for (normal, log_normal, beta and
/// their q forms) are searched on their CDF scale [0, 1].
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

    public static Suggestion? Next(SearchSpace space, SweepMetric metric, IReadOnlyList<KnownRun> runs, HashSet<string> used,
        Random random, bool multivariate = true)
    {
        var complete = runs.Where(r => r.Run.State == RunState.Finished && r.Run.Objective(metric.Goal) is not null).ToList();
        var pruned = runs.Where(r => r.Run.State == RunState.Stopped).ToList();
        if (complete.Count + pruned.Count < StartupTrials)
            return RandomSearch.Next(space, used, random) is { } r ? r with { Note = $"random (tpe starts after {StartupTrials} results)" } : null;

        var (below, above) = Split(metric, runs, complete, pruned);
        var note = $"tpe{(multivariate ? "" : " (univariate)")}: {below.Count} best of {complete.Count + pruned.Count} results against the rest";
        // Joint block: the searchable parameters every run has (unconditional ones), in search order.
        var joint = multivariate ? space.Searchable.Where(p => p.Parameter.Conditions.Count == 0).ToList() : [];
        var jointNames = joint.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var ranked = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        var assigned = new List<KeyValuePair<string, object?>>();
        var leaves = 0;
        if (Search(0) is { } best) return new Suggestion(best, note);
        return Unused.Pick([], space, used, random) is { } c ? new Suggestion(c, "random (every tpe candidate was already used)") : null;

        // Optuna takes the best candidate. When that configuration was already run or claimed, we take the next best
        // candidate of the last parameter (or joint block) that has one, depth first, so a duplicate never goes out.
        ParameterValues? Search(int index)
        {
            if (index == space.Parameters.Count)
            {
                var config = new ParameterValues(assigned);
                return used.Contains(config.Key) ? null : config;
            }
            var p = space.Parameters[index];
            if (jointNames.Contains(p.Name))
            {
                // The whole block is assigned at its first parameter; the others are skipped.
                if (p.Name != joint[0].Name) return Search(index + 1);
                foreach (var values in RankedJointCandidates(joint, below, above, random))
                {
                    if (++leaves > MaxCandidatesTried) return null;
                    assigned.AddRange(values);
                    var found = Search(index + 1);
                    assigned.RemoveRange(assigned.Count - values.Count, values.Count);
                    if (found is not null) return found;
                }
                return null;
            }
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

    /// <summary>The distinct joint values of <see cref="EiCandidates"/> draws from the multivariate l(x), best log l(x) − log g(x) first.</summary>
    private static List<List<KeyValuePair<string, object?>>> RankedJointCandidates(List<SpaceParameter> joint,
        List<KnownRun> below, List<KnownRun> above, Random random)
    {
        var domains = joint.Select(p => TpeDomain.For(p.Parameter)).ToArray();
        double[][] Observations(List<KnownRun> runs) => joint
            .Select((p, d) => runs.Select(r => domains[d].ToInternal(r.Config[p.Name])).ToArray()).ToArray();
        var l = new ParzenEstimator(domains, Observations(below), multivariate: true);
        var g = new ParzenEstimator(domains, Observations(above), multivariate: true);
        return l.Sample(random, EiCandidates)
            .Select((x, i) => (X: x, Score: l.LogPdf(x) - g.LogPdf(x), Index: i))
            .OrderByDescending(c => c.Score).ThenBy(c => c.Index) // ties: the first drawn, as numpy.argmax
            .Select(c => joint.Select((p, d) => new KeyValuePair<string, object?>(p.Name, domains[d].FromInternal(c.X[d]))).ToList())
            .DistinctBy(values => string.Join(",", values.Select(v => ParameterValues.KeyOf(v.Value))))
            .ToList();
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
        return l.SampleUnivariate(random, EiCandidates)
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

    /// <summary>
    /// Optuna's _ParzenEstimator (v3.1 with the truncated-normal fix of optuna PR #5110): a weighted mixture with one
    /// kernel per observation plus a prior kernel. Each kernel is a product over the parameters, so with several
    /// parameters (multivariate) a draw takes every coordinate from the same observation's kernel.
    /// </summary>
    internal sealed class ParzenEstimator
    {
        private const double Sigma0Magnitude = 0.2;
        private readonly TpeDomain[] domains;
        private readonly double[] weights;
        private readonly double[] logWeights;
        private readonly double[]?[][] categorical; // [dim][kernel]: probability of each choice, null for a numeric dim
        private readonly double[][] mus, sigmas;     // [dim][kernel] in the transformed (log) scale
        private readonly double[] lows, highs;       // per dim, transformed, widened by step/2 when discrete

        /// <summary>One parameter: Optuna's univariate estimator.</summary>
        public ParzenEstimator(TpeDomain domain, double[] observations) : this([domain], [observations], multivariate: false) { }

        /// <param name="domains">The parameters.</param>
        /// <param name="observations">Per parameter, the observed values (internal representation), one per kernel.</param>
        /// <param name="multivariate">Optuna's multivariate bandwidth (Scott's rule) rather than neighbour distances.</param>
        public ParzenEstimator(TpeDomain[] domains, double[][] observations, bool multivariate)
        {
            if (!multivariate && domains.Length != 1) throw new ArgumentException("the univariate estimator has one parameter", nameof(domains));
            this.domains = domains;
            var n = observations[0].Length;
            weights = [.. DefaultWeights(n), PriorWeight];
            var total = weights.Sum();
            for (var i = 0; i < weights.Length; i++) weights[i] /= total;
            logWeights = weights.Select(w => Math.Log(w)).ToArray();
            categorical = new double[]?[domains.Length][];
            mus = new double[domains.Length][];
            sigmas = new double[domains.Length][];
            lows = new double[domains.Length];
            highs = new double[domains.Length];
            // Scott's rule as in the BOHB paper, Optuna's _precompute_sigmas0: every parameter counts, categoricals too.
            var sigma0 = Sigma0Magnitude * Math.Pow(Math.Max(n, 1), -1.0 / (domains.Length + 4));
            for (var d = 0; d < domains.Length; d++)
            {
                var domain = domains[d];
                var obs = observations[d];
                if (domain.IsCategorical)
                {
                    categorical[d] = CategoricalKernels(domain.Choices, obs);
                    mus[d] = sigmas[d] = [];
                    continue;
                }
                categorical[d] = [];
                double low = domain.Low - domain.Step / 2, high = domain.High + domain.Step / 2;
                if (domain.Log)
                {
                    low = Math.Log(low);
                    high = Math.Log(high);
                    obs = obs.Select(o => Math.Log(o)).ToArray();
                }
                lows[d] = low;
                highs[d] = high;
                mus[d] = [.. obs, 0.5 * (low + high)];
                sigmas[d] = multivariate ? Enumerable.Repeat(sigma0 * (high - low), n + 1).ToArray() : NeighbourSigmas(mus[d], low, high);
                // Optuna's magic clip over all n + 1 kernels, then the prior gets the whole range.
                var minSigma = (high - low) / Math.Min(100.0, 1.0 + (n + 1));
                for (var k = 0; k < n; k++) sigmas[d][k] = Math.Clamp(sigmas[d][k], minSigma, high - low);
                sigmas[d][n] = high - low;
            }
        }

        public int Dimensions => domains.Length;

        /// <summary>The bandwidth of each kernel (the prior last) of parameter <paramref name="d"/>, in the transformed scale.</summary>
        internal IReadOnlyList<double> Sigmas(int d) => sigmas[d];

        /// <summary>Optuna's categorical kernels: prior_weight/(n + 1) on every choice plus 1 on the observed one, normalised; the prior last.</summary>
        private static double[][] CategoricalKernels(int choices, double[] observations)
        {
            var kernels = observations.Length + 1;
            var rows = new double[kernels][];
            for (var k = 0; k < kernels; k++)
            {
                var row = Enumerable.Repeat(PriorWeight / kernels, choices).ToArray();
                if (k < observations.Length) row[(int)observations[k]] += 1;
                var sum = row.Sum();
                for (var c = 0; c < choices; c++) row[c] /= sum;
                rows[k] = row;
            }
            return rows;
        }

        /// <summary>
        /// Univariate bandwidths (consider_endpoints False): the larger distance to a neighbour among the sorted kernel
        /// centres, the prior's midpoint included, with the range's ends as outer neighbours; the first and last
        /// centres take the distance to their inner neighbour.
        /// </summary>
        private static double[] NeighbourSigmas(double[] centres, double low, double high)
        {
            var n = centres.Length;
            var order = Enumerable.Range(0, n).OrderBy(i => centres[i]).ToArray(); // stable, as numpy's argsort on distinct values
            var withEnds = new double[n + 2];
            withEnds[0] = low;
            for (var i = 0; i < n; i++) withEnds[i + 1] = centres[order[i]];
            withEnds[n + 1] = high;
            var sorted = new double[n];
            for (var i = 0; i < n; i++)
                sorted[i] = Math.Max(withEnds[i + 1] - withEnds[i], withEnds[i + 2] - withEnds[i + 1]);
            if (withEnds.Length >= 4)
            {
                sorted[0] = withEnds[2] - withEnds[1];
                sorted[n - 1] = withEnds[n] - withEnds[n - 1];
            }
            var result = new double[n];
            for (var i = 0; i < n; i++) result[order[i]] = sorted[i];
            return result;
        }

        /// <summary><paramref name="count"/> draws, each a point with one value per parameter (external scale; categoricals by index).</summary>
        public double[][] Sample(Random random, int count)
        {
            var result = new double[count][];
            for (var i = 0; i < count; i++)
            {
                var k = Choose(weights, random.NextDouble());
                var point = result[i] = new double[domains.Length];
                for (var d = 0; d < domains.Length; d++)
                {
                    var domain = domains[d];
                    if (domain.IsCategorical)
                    {
                        point[d] = Choose(categorical[d][k]!, random.NextDouble());
                        continue;
                    }
                    var x = TruncatedNormal.Sample(mus[d][k], sigmas[d][k], lows[d], highs[d], random);
                    if (domain.Log) x = Math.Exp(x);
                    if (domain.Step > 0)
                        x = Math.Clamp(domain.Low + Math.Round((x - domain.Low) / domain.Step) * domain.Step, domain.Low, domain.High);
                    point[d] = x;
                }
            }
            return result;
        }

        /// <summary>Draws of a one-parameter estimator.</summary>
        public double[] SampleUnivariate(Random random, int count) => Sample(random, count).Select(p => p[0]).ToArray();

        /// <summary>log density of a one-parameter estimator at <paramref name="x"/>.</summary>
        public double LogPdf(double x) => LogPdf([x]);

        /// <summary>log Σ_k w_k Π_d p_kd(x_d): the mixture's log density (a log mass for discrete parameters).</summary>
        public double LogPdf(double[] x)
        {
            var terms = (double[])logWeights.Clone();
            for (var d = 0; d < domains.Length; d++)
            {
                var domain = domains[d];
                if (domain.IsCategorical)
                {
                    var c = (int)x[d];
                    for (var k = 0; k < terms.Length; k++) terms[k] += Math.Log(categorical[d][k]![c]);
                    continue;
                }
                for (var k = 0; k < terms.Length; k++)
                {
                    double mu = mus[d][k], sigma = sigmas[d][k];
                    if (domain.Step > 0)
                    {
                        double lo = x[d] - domain.Step / 2, hi = x[d] + domain.Step / 2;
                        if (domain.Log) { lo = Math.Log(lo); hi = Math.Log(hi); }
                        terms[k] += TruncatedNormal.LogGaussMass((Math.Max(lo, lows[d]) - mu) / sigma, (Math.Min(hi, highs[d]) - mu) / sigma)
                                    - TruncatedNormal.LogGaussMass((lows[d] - mu) / sigma, (highs[d] - mu) / sigma);
                    }
                    else terms[k] += TruncatedNormal.LogPdf(domain.Log ? Math.Log(x[d]) : x[d], mu, sigma, lows[d], highs[d]);
                }
            }
            var max = terms.Max();
            if (double.IsNegativeInfinity(max)) return max;
            double sum = 0;
            foreach (var t in terms) sum += Math.Exp(t - max);
            return max + Math.Log(sum);
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
