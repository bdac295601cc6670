using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>A stored sweep at a glance, read from its own run alone: what a list of sweeps shows.</summary>
/// <param name="Id">The sweep id (its run's id).</param>
/// <param name="Name">The sweep's name.</param>
/// <param name="ExperimentId">The experiment holding the sweep and its trials.</param>
/// <param name="Method">grid, random, bayes or tpe.</param>
/// <param name="Metric">The optimised metric, or null.</param>
/// <param name="State">Running, stopped or finished.</param>
/// <param name="Completion">Why a finished sweep ended (e.g. "run_cap reached"), else null.</param>
/// <param name="Trials">Configurations handed out so far (one per slot, a taken-over crashed run counted once).</param>
/// <param name="StartTime">When the sweep was created (Unix ms).</param>
/// <param name="WarmStartRuns">Earlier runs the search started from (0 without a warm start).</param>
public sealed record SweepSummary(string Id, string Name, string ExperimentId, SearchMethod Method, SweepMetric? Metric,
    SweepState State, string? Completion, int Trials, long StartTime, int WarmStartRuns)
{
    internal static SweepSummary From(Run sweepRun, SweepConfig config, WarmStartReport? warmStart) => new(
        sweepRun.RunId, sweepRun.Name, sweepRun.Info.ExperimentId, config.Method, config.Metric, Sweep.ParseState(sweepRun),
        sweepRun.Data.Tags.GetValueOrDefault(SweepTags.Completion),
        sweepRun.Data.Params.Keys.Select(k => SweepTags.TryParseSlotKey(k, out var slot, out _) ? slot : -1).Where(s => s >= 0).Distinct().Count(),
        sweepRun.Info.StartTime, warmStart?.Used.Count ?? 0);
}
