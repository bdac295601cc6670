using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>Settings of an agent.</summary>
public sealed record AgentOptions
{
    /// <summary>The agent's name in the trials' tags (default: host, process id and a random suffix).</summary>
    public string? Name { get; init; }

    /// <summary>A trial whose heartbeat is older than this is crashed and its configuration is taken over (default: the tracker's StaleAfter).</summary>
    public TimeSpan? StaleAfter { get; init; }

    /// <summary>
    /// How often a trial that logs no sweep metric (or a sweep without early termination) checks whether another agent
    /// took it over (default: the tracker's heartbeat interval).
    /// </summary>
    public TimeSpan? CheckInterval { get; init; }

    /// <summary>Called after each trial ends (e.g. to print progress).</summary>
    public Action<TrialOutcome>? TrialEnded { get; init; }

    /// <summary>Makes the quitting rule (W&amp;B's by default).</summary>
    public Func<DateTimeOffset, AgentFailurePolicy> FailurePolicy { get; init; } = start => new AgentFailurePolicy(start);
}

/// <summary>How one trial run by an agent ended.</summary>
/// <param name="Number">The trial's position in the sweep.</param>
/// <param name="RunId">Its run.</param>
/// <param name="Config">Its configuration.</param>
/// <param name="State">Finished, stopped (early-terminated), failed or killed (taken over).</param>
/// <param name="Objective">Its best sweep-metric value, if any.</param>
/// <param name="Duration">Wall-clock time of the training function.</param>
/// <param name="Detail">The stop reason or the failure, if any.</param>
public sealed record TrialOutcome(int Number, string RunId, ParameterValues Config, RunState State, double? Objective, TimeSpan Duration, string? Detail)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"trial {Number} ({RunId}) {SweepTags.ToWire(State)}{(Objective is double v ? $", best {Html.FormatNumber(v)}" : "")} in {Duration.TotalSeconds:0.0} s: {Config}{(Detail is null ? "" : $" — {Detail}")}";
}

/// <summary>What an agent did: its trials and why it quit.</summary>
/// <param name="Agent">The agent's name.</param>
/// <param name="Trials">The trials it ran, in order.</param>
/// <param name="QuitReason">Why it stopped claiming (count reached, sweep complete or stopped, failures).</param>
/// <param name="Verdict">The failure policy's last verdict.</param>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed record AgentReport(string Agent, IReadOnlyList<TrialOutcome> Trials, string QuitReason, AgentVerdict Verdict)
{
    /// <inheritdoc />
    public override string ToString() => $"Agent {Agent}: {Trials.Count} trial(s) ({string.Join(", ", Trials.GroupBy(t => t.State).Select(g => $"{g.Count()} {SweepTags.ToWire(g.Key)}"))}); quit because {QuitReason}";
}

/// <summary>An agent quit because its trials kept failing (W&amp;B's rules); the inner exception is the first failure.</summary>
public sealed class SweepAgentException(AgentReport report, Exception? firstFailure)
    : Exception($"{report.QuitReason}. First failure: {firstFailure?.GetType().Name}: {firstFailure?.Message}", firstFailure)
{
    /// <summary>What the agent did before quitting.</summary>
    public AgentReport Report { get; } = report;
}

/// <summary>The agent loop shared by notebooks (<see cref="Sweep.RunAgent"/>) and the CLI (<see cref="SweepProgram"/>).</summary>
internal sealed class SweepAgent(Sweep sweep, AgentOptions options)
{
    public async Task<AgentReport> RunAsync(int? count, Func<Trial, Task> train, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (count is < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "An agent runs at least one trial (or null for no limit).");
        var name = options.Name ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        var trackerOptions = sweep.Tracker.Options;
        var staleAfter = options.StaleAfter ?? trackerOptions.StaleAfter;
        var checkInterval = options.CheckInterval ?? trackerOptions.HeartbeatInterval;
        var policy = options.FailurePolicy(DateTimeOffset.UtcNow);
        var outcomes = new List<TrialOutcome>();
        Exception? firstFailure = null;
        var verdict = AgentVerdict.Continue;
        string why;
        while (true)
        {
            if (count is int c && outcomes.Count >= c)
            {
                why = $"it ran the {c} trial(s) asked for";
                await sweep.FinishIfCompleteAsync(ct).ConfigureAwait(false);
                break;
            }
            var (claim, none) = await sweep.ClaimAsync(name, staleAfter, ct).ConfigureAwait(false);
            if (claim is null) { why = none!.Reason; break; }
            var trial = new Trial(sweep, claim, new ActiveRun(sweep.Tracker, claim.Run.Info, parent: null), checkInterval);
            var started = DateTimeOffset.UtcNow;
            RunState state;
            Exception? failure = null;
            try
            {
                await train(trial).ConfigureAwait(false);
                state = Ended(trial);
            }
            catch (OperationCanceledException) when (trial.ShouldStop)
            {
                state = Ended(trial);
            }
            catch (Exception e)
            {
                (state, failure) = (RunState.Failed, e);
                firstFailure ??= e;
            }
            trial.End(state, failure);
            var metric = sweep.Config.Metric;
            outcomes.Add(new TrialOutcome(claim.Slot, claim.Run.RunId, claim.Config, state,
                metric is null ? null : new SweepRun(claim.Config, state, trial.History).Objective(metric.Goal),
                DateTimeOffset.UtcNow - started, failure is null ? trial.StopReason : $"{failure.GetType().Name}: {failure.Message}"));
            options.TrialEnded?.Invoke(outcomes[^1]);
            verdict = policy.Record(state != RunState.Failed, DateTimeOffset.UtcNow);
            if (verdict == AgentVerdict.QuitFlapping) { why = $"{policy.Failed} trials failed within {policy.FlappingWindow.TotalSeconds:0} s of the agent's start"; break; }
            if (verdict == AgentVerdict.QuitFailing) { why = $"{policy.Failed} trials failed and only {policy.Finished} succeeded"; break; }
        }
        var report = new AgentReport(name, outcomes, why, verdict);
        return verdict == AgentVerdict.Continue ? report : throw new SweepAgentException(report, firstFailure);
    }

    private static RunState Ended(Trial trial) => !trial.ShouldStop ? RunState.Finished : trial.Superseded ? RunState.Killed : RunState.Stopped;
}
