namespace Courseware.Sweeps;

/// <summary>A configuration to run next, with a short note on how it was chosen.</summary>
/// <param name="Config">The parameter values for the new run.</param>
/// <param name="Note">How it was chosen, e.g. "random (fewer than 2 results)" or "expected improvement 0.031".</param>
public sealed record Suggestion(ParameterValues Config, string Note)
{
    /// <summary>
    /// Why the method could not use its model for this suggestion (for bayes: a Gaussian process that cannot be
    /// fitted, so TPE chose instead), or null when it did. The controller stores it with the trial
    /// (<see cref="TrialRecord.Fallback"/>).
    /// </summary>
    public string? Fallback { get; init; }
}

/// <summary>Why a sweep has ended.</summary>
public enum CompletionReason
{
    /// <summary>run_cap runs exist.</summary>
    RunCapReached,
    /// <summary>A run reached the metric's target.</summary>
    TargetReached,
    /// <summary>Every configuration of a finite search space (every grid point) has been run or claimed.</summary>
    SpaceExhausted,
}

/// <summary>A run to stop early, and why.</summary>
/// <param name="Run">The running run.</param>
/// <param name="Reason">For example "band 9: 0.52 is worse than the threshold 0.41".</param>
public sealed record EarlyStop(SweepRun Run, string Reason);

/// <summary>
/// The search and termination core of a sweep: a pure function of (sweep configuration, seed, warm-start results,
/// the sweep's runs), so a controller in the tracking store can call it from any process: read the sweep's runs
/// (pending ones included), call <see cref="Suggest"/>, and insert the suggestion as a pending run in the same
/// transaction. The same inputs always give the same suggestion. An instance remembers what it derived from each
/// configuration it has seen (its fit to the space, its encoding), so a suggestion prepares only new runs; that
/// never changes a result, and a fresh instance gives the same suggestions.
/// </summary>
/// <example><c>var next = new Sweeper(SweepConfig.Load("sweep.yaml"), seed: 1).Suggest(runs);</c></example>
public sealed class Sweeper
{
    private readonly IReadOnlyList<SweepRun> warmStart;
    private readonly Dictionary<string, ParameterValues?> fitted = new(StringComparer.Ordinal); // by the run's config key
    private readonly FeatureCache features = new();
    private readonly Lock gate = new();

    /// <summary>
    /// Creates the core for <paramref name="config"/> (validated here). <paramref name="warmStart"/> are results from
    /// earlier sweeps or runs: every search method learns from those that fit the search space, and grid search
    /// skips their configurations; they do not count towards run_cap or target.
    /// </summary>
    public Sweeper(SweepConfig config, int seed = 0, IEnumerable<SweepRun>? warmStart = null)
    {
        Config = config.Validate();
        Seed = seed;
        this.warmStart = (warmStart ?? []).Where(r => r.IsTerminal).ToList();
    }

    /// <summary>The sweep configuration.</summary>
    public SweepConfig Config { get; }

    /// <summary>The seed every random choice derives from.</summary>
    public int Seed { get; }

    /// <summary>The search space.</summary>
    public SearchSpace Space => Config.Space;

    /// <summary>
    /// The next configuration to run given every run of the sweep so far (pending and running included, so no
    /// configuration is handed out twice), or null when the sweep is complete (<see cref="Completion"/> says why).
    /// </summary>
    public Suggestion? Suggest(IReadOnlyList<SweepRun> runs)
    {
        lock (gate) return SuggestLocked(runs);
    }

    private Suggestion? SuggestLocked(IReadOnlyList<SweepRun> runs)
    {
        if (Completion(runs) is not null) return null;
        var known = Known(runs);
        var used = new HashSet<string>(known.Select(k => k.Config.Key), StringComparer.Ordinal);
        // One stream per position in the sweep: reproducible, and different for each new run.
        var random = new MathNet.Numerics.Random.MersenneTwister(MixSeed(Seed, runs.Count), threadSafe: false);
        return Config.Method switch
        {
            SearchMethod.Grid => GridSearch.Next(Space, used),
            SearchMethod.Random => RandomSearch.Next(Space, used, random),
            SearchMethod.Bayes => BayesSearch.Next(Space, Config.Metric!, known, used, random, features),
            SearchMethod.Tpe => TpeSearch.Next(Space, Config.Metric!, known, used, random),
            _ => throw new InvalidOperationException($"unknown method {Config.Method}"),
        };
    }

    /// <summary>Why the sweep is complete, or null while it should go on.</summary>
    public CompletionReason? Completion(IReadOnlyList<SweepRun> runs)
    {
        lock (gate) return CompletionLocked(runs);
    }

    private CompletionReason? CompletionLocked(IReadOnlyList<SweepRun> runs)
    {
        if (Config.RunCap is int cap && runs.Count >= cap) return CompletionReason.RunCapReached;
        if (Config.Metric is { Target: double target } metric
            && runs.Any(r => r.Objective(metric.Goal) is double v && !metric.IsBetter(target, v)))
            return CompletionReason.TargetReached;
        var used = new HashSet<string>(Known(runs).Select(k => k.Config.Key), StringComparer.Ordinal);
        if (Config.Method == SearchMethod.Grid)
            return Space.Grid().Any(g => !used.Contains(g.Key)) ? null : CompletionReason.SpaceExhausted;
        return Space.Size is long size && used.Count >= size && Space.AllDiscrete().All(c => used.Contains(c.Key))
            ? CompletionReason.SpaceExhausted : null;
    }

    /// <summary>The running runs that early termination (hyperband or median) stops now; empty without early_terminate.</summary>
    public IReadOnlyList<EarlyStop> RunsToStop(IReadOnlyList<SweepRun> runs) => Config.EarlyTerminate switch
    {
        HyperbandTermination h => Hyperband.RunsToStop(h, Config.Metric!, runs),
        MedianTermination m => MedianStopping.RunsToStop(m, Config.Metric!, runs),
        _ => [],
    };

    /// <summary>Warm-start results then the sweep's runs, each restricted to the search space; runs that do not fit are left out.</summary>
    private List<KnownRun> Known(IReadOnlyList<SweepRun> runs)
    {
        var known = new List<KnownRun>();
        foreach (var run in warmStart.Concat(runs))
        {
            if (!fitted.TryGetValue(run.Config.Key, out var config)) fitted[run.Config.Key] = config = Space.Fit(run.Config);
            if (config is not null) known.Add(new KnownRun(config, run));
        }
        return known;
    }

    /// <summary>SplitMix64 of (seed, position): neighbouring positions give unrelated streams.</summary>
    internal static int MixSeed(int seed, int position)
    {
        var z = unchecked(((ulong)(uint)seed << 32 | (uint)position) + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}

/// <summary>A run with its configuration restricted to the search space.</summary>
internal sealed record KnownRun(ParameterValues Config, SweepRun Run);

/// <summary>Picks configurations nobody has run or claimed yet.</summary>
internal static class Unused
{
    private const int Attempts = 100;

    /// <summary>
    /// The first of <paramref name="candidates"/> not in <paramref name="used"/>; failing that, up to 100 random
    /// draws, then (in a finite space) a random unused configuration; null when every configuration is used.
    /// </summary>
    public static ParameterValues? Pick(IEnumerable<ParameterValues> candidates, SearchSpace space, HashSet<string> used, Random random)
    {
        foreach (var c in candidates)
            if (!used.Contains(c.Key)) return c;
        for (var i = 0; i < Attempts; i++)
        {
            var c = space.Sample(random);
            if (!used.Contains(c.Key)) return c;
        }
        if (space.Size is null) return null;
        var rest = space.AllDiscrete().Where(c => !used.Contains(c.Key)).ToList();
        return rest.Count == 0 ? null : rest[random.Next(rest.Count)];
    }
}

/// <summary>W&amp;B grid search: the first grid point (in product order) that no run has used.</summary>
internal static class GridSearch
{
    public static Suggestion? Next(SearchSpace space, HashSet<string> used) =>
        space.Grid().FirstOrDefault(g => !used.Contains(g.Key)) is { } next ? new Suggestion(next, "grid") : null;
}

/// <summary>Random search: a draw from every parameter's distribution, never a configuration already used.</summary>
internal static class RandomSearch
{
    public static Suggestion? Next(SearchSpace space, HashSet<string> used, Random random) =>
        Unused.Pick([], space, used, random) is { } next ? new Suggestion(next, "random") : null;
}
