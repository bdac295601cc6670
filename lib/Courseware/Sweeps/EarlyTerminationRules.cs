using System.Globalization;

namespace Courseware.Sweeps;

/// <summary>
/// W&amp;B's hyperband early termination (hyperband_stopping.py): one set of milestones ("bands"), not several brackets.
/// </summary>
/// <remarks>
/// Iteration = the number of finite values a run has logged. For each band b, take every run (any state) with at
/// least b values, sort their values at index b−1 (as losses: negated when maximising) and take
/// threshold = sorted[int(n / eta)]. A running run is checked against the highest band it has reached and stopped
/// when its value is worse than (strictly above, as a loss) the threshold: with strict (the default) its value at
/// that band, without strict the best value of its whole history.
/// </remarks>
public static class Hyperband
{
    /// <summary>The thresholds (as losses) at each band, +∞ where no run has reached the band.</summary>
    public static IReadOnlyList<(int Band, double Threshold)> Thresholds(HyperbandTermination config, SweepMetric metric, IReadOnlyList<SweepRun> runs)
    {
        var r = 1.0 / config.Eta;
        var histories = runs.Select(run => Losses(run, metric)).Where(h => h.Count > 0).ToList();
        return config.Bands().Select(band =>
        {
            var values = histories.Where(h => h.Count >= band).Select(h => h[band - 1]).Order().ToList();
            return (band, values.Count == 0 ? double.PositiveInfinity : values[(int)(r * values.Count)]);
        }).ToList();
    }

    /// <summary>The running runs to stop now.</summary>
    public static IReadOnlyList<EarlyStop> RunsToStop(HyperbandTermination config, SweepMetric metric, IReadOnlyList<SweepRun> runs)
    {
        var thresholds = Thresholds(config, metric, runs);
        var stops = new List<EarlyStop>();
        foreach (var run in runs.Where(r => r.State == RunState.Running))
        {
            var history = Losses(run, metric);
            var reached = thresholds.LastOrDefault(t => t.Band <= history.Count);
            if (reached.Band == 0) continue; // no band reached yet
            var value = config.Strict ? history[reached.Band - 1] : history.Min();
            if (value > reached.Threshold)
                stops.Add(new EarlyStop(run, string.Create(CultureInfo.InvariantCulture,
                    $"hyperband band {reached.Band}: {metric.AsLoss(value):G6} is worse than the threshold {metric.AsLoss(reached.Threshold):G6}")));
        }
        return stops;
    }

    private static List<double> Losses(SweepRun run, SweepMetric metric) => run.FiniteHistory.Select(metric.AsLoss).ToList();
}

/// <summary>
/// Optuna's MedianPruner (PercentilePruner at 50): a running run is stopped when its best value so far is worse than
/// the median, over finished runs, of the values logged at the run's latest step.
/// </summary>
/// <remarks>
/// Steps are positions in the run's history (0, 1, 2, …); a NaN entry is a step that reported NaN. Nothing is
/// stopped until n_startup_trials runs have finished, before n_warmup_steps, off the interval_steps grid, or when
/// fewer than n_min_trials finished runs reached the step. A run whose values so far are all NaN is stopped.
/// </remarks>
public static class MedianStopping
{
    /// <summary>The running runs to stop now.</summary>
    public static IReadOnlyList<EarlyStop> RunsToStop(MedianTermination config, SweepMetric metric, IReadOnlyList<SweepRun> runs)
    {
        var finished = runs.Where(r => r.State == RunState.Finished).ToList();
        if (finished.Count == 0 || finished.Count < config.StartupRuns) return [];
        var stops = new List<EarlyStop>();
        foreach (var run in runs.Where(r => r.State == RunState.Running))
        {
            var history = run.History ?? [];
            if (history.Count == 0) continue;
            var step = history.Count - 1;
            if (step < config.WarmupSteps) continue;
            // Optuna's _is_first_in_interval_step with steps 0..step all reported
            var nearestLowerPruningStep = (step - config.WarmupSteps) / config.IntervalSteps * config.IntervalSteps + config.WarmupSteps;
            if (step - 1 >= nearestLowerPruningStep) continue;

            var finite = history.Where(v => !double.IsNaN(v)).ToList();
            if (finite.Count == 0)
            {
                stops.Add(new EarlyStop(run, $"median rule: every value up to step {step} is NaN"));
                continue;
            }
            var best = metric.Goal == MetricGoal.Minimize ? finite.Min() : finite.Max();
            var atStep = finished.Where(f => (f.History?.Count ?? 0) > step).Select(f => f.History![step]).ToList();
            if (atStep.Count < config.MinRuns) continue;
            var median = NanMedian(atStep);
            if (double.IsNaN(median)) continue;
            if (metric.IsBetter(median, best))
                stops.Add(new EarlyStop(run, string.Create(CultureInfo.InvariantCulture,
                    $"median rule at step {step}: best so far {best:G6} is worse than the median {median:G6} of {atStep.Count} finished runs")));
        }
        return stops;
    }

    /// <summary>numpy.nanpercentile(values, 50) with linear interpolation.</summary>
    internal static double NanMedian(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return double.NaN;
        var position = 0.5 * (v.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, v.Length - 1);
        return v[lower] + (position - lower) * (v[upper] - v[lower]);
    }
}

/// <summary>What an agent should do after a run ended.</summary>
public enum AgentVerdict
{
    /// <summary>Go on with the next run.</summary>
    Continue,
    /// <summary>Quit: 3 (or the configured number of) runs failed within the first 60 s after the agent started.</summary>
    QuitFlapping,
    /// <summary>Quit: at least 5 runs failed and no more finished than failed.</summary>
    QuitFailing,
}

/// <summary>
/// The wandb CLI agent's rules for giving up (wandb_agent.py): it quits when ≥ 3 runs have failed within the first
/// 60 s after it started ("flapping"), or when failed ≥ 5 and failed ≥ finished. Time is passed in, so the policy is
/// a pure function of the outcomes and their times.
/// </summary>
/// <example><c>var policy = new AgentFailurePolicy(DateTimeOffset.UtcNow); if (policy.Record(ok, DateTimeOffset.UtcNow) != AgentVerdict.Continue) break;</c></example>
public sealed class AgentFailurePolicy(DateTimeOffset startedAt, int flappingMaxFailures = 3, TimeSpan? flappingWindow = null, int maxInitialFailures = 5)
{
    /// <summary>When the agent started.</summary>
    public DateTimeOffset StartedAt { get; } = startedAt;

    /// <summary>The flapping window (60 s by default).</summary>
    public TimeSpan FlappingWindow { get; } = flappingWindow ?? TimeSpan.FromSeconds(60);

    /// <summary>Runs that ended normally so far.</summary>
    public int Finished { get; private set; }

    /// <summary>Runs that failed so far.</summary>
    public int Failed { get; private set; }

    /// <summary>Records a run that ended at <paramref name="endedAt"/> and says whether the agent goes on.</summary>
    public AgentVerdict Record(bool succeeded, DateTimeOffset endedAt)
    {
        if (succeeded) Finished++;
        else
        {
            Failed++;
            if (endedAt - StartedAt < FlappingWindow && Failed >= flappingMaxFailures) return AgentVerdict.QuitFlapping;
        }
        return Failed >= Finished && Failed >= maxInitialFailures ? AgentVerdict.QuitFailing : AgentVerdict.Continue;
    }
}
