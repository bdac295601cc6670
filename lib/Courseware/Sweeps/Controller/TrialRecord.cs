using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>One trial of a sweep as stored: its configuration, state and the optimised metric step by step.</summary>
/// <param name="Number">The trial's position in the sweep (0, 1, …): the order configurations were handed out.</param>
/// <param name="Attempt">0, or 1, 2, … when the trial took over a crashed run of the same configuration.</param>
/// <param name="Run">The tracking run (params = configuration, metrics = history).</param>
/// <param name="Config">The configuration, typed.</param>
/// <param name="State">Running, finished, stopped (early-terminated), failed, crashed or killed.</param>
/// <param name="History">The sweep metric at each logged step (NaN where a step logged NaN).</param>
public sealed record TrialRecord(int Number, int Attempt, Run Run, ParameterValues Config, RunState State, IReadOnlyList<double> History)
{
    /// <summary>The run id.</summary>
    public string RunId => Run.RunId;

    /// <summary>The run name.</summary>
    public string Name => Run.Name;

    /// <summary>Why the trial was stopped early, or null.</summary>
    public string? StopReason => Run.Data.Tags.GetValueOrDefault(SweepTags.StopReason);

    /// <summary>How the search chose this configuration.</summary>
    public string? Note => Run.Data.Tags.GetValueOrDefault(SweepTags.Note);

    /// <summary>Why the search could not use its model for this trial (<see cref="Suggestion.Fallback"/>), or null.</summary>
    public string? Fallback => Run.Data.Tags.GetValueOrDefault(SweepTags.Fallback);

    /// <summary>What the search core sees of this trial.</summary>
    public SweepRun ToSweepRun() => new(Config, State, History) { Name = RunId };

    /// <summary>The trial's best metric value (W&amp;B's metric extremum), or null when it logged none.</summary>
    public double? Objective(MetricGoal goal) => ToSweepRun().Objective(goal);
}
