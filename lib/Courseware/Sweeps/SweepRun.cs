namespace Courseware.Sweeps;

/// <summary>The state of a run in a sweep (W&amp;B's run states, plus <see cref="Stopped"/> for early-terminated runs).</summary>
public enum RunState
{
    /// <summary>Claimed by an agent, not started yet.</summary>
    Pending,
    /// <summary>Training.</summary>
    Running,
    /// <summary>Ended normally.</summary>
    Finished,
    /// <summary>Stopped early by hyperband or the median rule (Optuna's PRUNED).</summary>
    Stopped,
    /// <summary>The training code raised an error or exited non-zero.</summary>
    Failed,
    /// <summary>The agent or machine died (no heartbeat).</summary>
    Crashed,
    /// <summary>Killed by the user.</summary>
    Killed,
}

/// <summary>
/// What the search needs to know about one run: its configuration, its state and the optimised metric as logged
/// step by step (<see cref="History"/>; NaN where a step logged no finite value) plus an optional final summary value.
/// </summary>
/// <param name="Config">The run's parameter values.</param>
/// <param name="State">Where the run is in its life.</param>
/// <param name="History">The metric at each logged step, in order.</param>
/// <param name="Summary">The final (summary) value of the metric, when logged separately.</param>
public sealed record SweepRun(ParameterValues Config, RunState State, IReadOnlyList<double>? History = null, double? Summary = null)
{
    /// <summary>A name for messages and displays (the tracking store's run id).</summary>
    public string? Name { get; init; }

    /// <summary>The metric history with non-finite values removed: W&amp;B's iteration count is its length.</summary>
    public IReadOnlyList<double> FiniteHistory => (History ?? []).Where(double.IsFinite).ToList();

    /// <summary>
    /// The run's result: the best finite value among its history and summary, as W&amp;B's metric_extremum; null
    /// when the run logged no finite value.
    /// </summary>
    public double? Objective(MetricGoal goal) => Extremum(goal == MetricGoal.Minimize);

    /// <summary>The worst finite value the run logged (what W&amp;B imputes failed runs from), or null.</summary>
    internal double? Worst(MetricGoal goal) => Extremum(goal == MetricGoal.Maximize);

    private double? Extremum(bool minimum)
    {
        var values = FiniteHistory.AsEnumerable();
        if (Summary is double s && double.IsFinite(s)) values = values.Append(s);
        var list = values.ToList();
        return list.Count == 0 ? null : minimum ? list.Min() : list.Max();
    }

    /// <summary>True for a run that ended (finished, stopped, failed, crashed or killed).</summary>
    public bool IsTerminal => State is RunState.Finished or RunState.Stopped or RunState.Failed or RunState.Crashed or RunState.Killed;

    /// <summary>True for a run that occupies its configuration but has no result yet (pending, running).</summary>
    public bool IsInFlight => State is RunState.Pending or RunState.Running;

    /// <summary>A finished run with a final metric value.</summary>
    public static SweepRun Finished(ParameterValues config, double value) => new(config, RunState.Finished, [value]);

    /// <summary>A run claimed by an agent that has not reported yet.</summary>
    public static SweepRun Pending(ParameterValues config) => new(config, RunState.Pending);
}
