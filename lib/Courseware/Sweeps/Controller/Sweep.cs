using System.Globalization;
using Courseware.Notebooks;
using Courseware.Tracking;

namespace Courseware.Sweeps;

/// <summary>Whether a sweep hands out new configurations.</summary>
public enum SweepState
{
    /// <summary>Agents claim new configurations.</summary>
    Running,
    /// <summary>Stopped by the user: no new configurations until <see cref="Sweep.Resume"/>; running trials go on.</summary>
    Stopped,
    /// <summary>Complete (run_cap, target or every configuration used) and no trial is running.</summary>
    Finished,
}

/// <summary>
/// A hyperparameter sweep whose controller state lives in the tracking store, so agents in several processes
/// (SQLite) or on several machines (PostgreSQL) cooperate without a server: each agent claims the next configuration
/// atomically, heartbeats while it trains, and a crashed agent's configuration is taken over by another agent.
/// <code>
/// using var tracker = Tracker.Open("runs/");
/// var sweep = Sweep.Create(tracker, File.ReadAllText("sweep.yaml"), experiment: "penguins");
/// sweep.RunAgent(10, trial => Train(trial));         // or: courseware agent &lt;sweep.Id&gt; -- dotnet train.dll
/// sweep.Dashboard()
/// </code>
/// See <see cref="SweepTags"/> for how the sweep is stored.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class Sweep
{
    private readonly Dictionary<string, IReadOnlyList<double>> _finishedHistories = new(StringComparer.Ordinal);
    private readonly Lock _cacheLock = new();

    private Sweep(Tracker tracker, Run sweepRun, SweepConfig config, int seed, string yaml, WarmStartReport? warmStart)
    {
        Tracker = tracker;
        Id = sweepRun.RunId;
        Name = sweepRun.Name;
        ExperimentId = sweepRun.Info.ExperimentId;
        Config = config;
        Seed = seed;
        Yaml = yaml;
        WarmStart = warmStart;
        Sweeper = new Sweeper(config, seed, warmStart?.Observations);
    }

    /// <summary>The sweep id: the id of the sweep's own run in the store.</summary>
    public string Id { get; }

    /// <summary>The sweep's name (its run's name).</summary>
    public string Name { get; }

    /// <summary>The experiment holding the sweep and its trials.</summary>
    public string ExperimentId { get; }

    /// <summary>The sweep definition.</summary>
    public SweepConfig Config { get; }

    /// <summary>The sweep file's text as stored.</summary>
    public string Yaml { get; }

    /// <summary>The seed of the search.</summary>
    public int Seed { get; }

    /// <summary>The earlier runs the search started from (used and skipped, with reasons), or null without a warm start.</summary>
    public WarmStartReport? WarmStart { get; }

    /// <summary>The tracker the sweep reads and writes through.</summary>
    public Tracker Tracker { get; }

    internal Sweeper Sweeper { get; }

    private ITrackingStore Store => Tracker.Store;

    // ---------------- create and open ----------------

    /// <summary>
    /// Stores a new sweep defined by W&amp;B sweep YAML (validated first; errors name line and column) in
    /// <paramref name="experiment"/> (default: the sweep's <c>name</c>, else "sweeps"). With <paramref name="warmStart"/>
    /// the search starts from earlier finished runs (chosen now and stored with the sweep; see <see cref="WarmStart"/>).
    /// </summary>
    /// <example><code>var sweep = Sweep.Create(tracker, File.ReadAllText("sweep.yaml"), seed: 1, warmStart: WarmStart.From("penguins"));</code></example>
    public static Sweep Create(Tracker tracker, string yaml, string? experiment = null, int seed = 0, WarmStart? warmStart = null) =>
        Tracker.Wait(CreateAsync(tracker, yaml, experiment, seed, warmStart));

    /// <inheritdoc cref="Create"/>
    public static async Task<Sweep> CreateAsync(Tracker tracker, string yaml, string? experiment = null, int seed = 0, WarmStart? warmStart = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var config = SweepConfig.Parse(yaml).Validate();
        var experimentName = experiment ?? config.Name ?? "sweeps";
        // The warm start is resolved first, so a wrong experiment name or filter leaves nothing behind.
        WarmStartReport? report = null;
        if (warmStart is not null)
        {
            var sourceName = warmStart.Experiment ?? experimentName;
            var source = await tracker.Store.GetExperimentByNameAsync(sourceName, cancellationToken).ConfigureAwait(false);
            if (source is null && warmStart.Experiment is not null)
                throw new ArgumentException($"No experiment named '{warmStart.Experiment}' to warm-start from.", nameof(warmStart));
            report = source is null ? new WarmStartReport(sourceName, warmStart.Filter, [])
                : await WarmStartReport.ResolveAsync(tracker.Store, config, source, warmStart.Filter, cancellationToken).ConfigureAwait(false);
        }
        var exp = await tracker.GetOrCreateExperimentAsync(experimentName, cancellationToken).ConfigureAwait(false);
        var tags = new Dictionary<string, string>(SystemTags.ForThisProcess())
        {
            [SweepTags.Role] = SweepTags.SweepRole,
            [SweepTags.Yaml] = yaml,
            [SweepTags.Seed] = seed.ToString(CultureInfo.InvariantCulture),
            [SweepTags.State] = "running",
        };
        if (report is not null) tags[SweepTags.WarmStart] = report.ToTag();
        var run = await tracker.Store.CreateRunAsync(exp.ExperimentId, config.Name is null ? null : "sweep-" + config.Name,
            TrackingNames.NowMs(), Environment.UserName, tags.Select(t => new RunTag(t.Key, t.Value)), cancellationToken).ConfigureAwait(false);
        await tracker.Store.LogBatchAsync(run.RunId, [], [
            new Param("method", config.Method.ToString().ToLowerInvariant()),
            new Param("metric", config.Metric is { } m ? $"{m.Name} ({m.Goal.ToString().ToLowerInvariant()})" : "none"),
            ], [], cancellationToken).ConfigureAwait(false);
        // Write-once params, written before the id is handed out, so every agent reads the same observations.
        foreach (var chunk in (report?.ToParams() ?? []).Chunk(TrackingLimits.MaxParamsTagsPerBatch))
            await tracker.Store.LogBatchAsync(run.RunId, [], chunk, [], cancellationToken).ConfigureAwait(false);
        return new Sweep(tracker, run, config, seed, yaml, report);
    }

    /// <summary>Opens a stored sweep by id (what <c>courseware sweep create</c> printed).</summary>
    public static Sweep Open(Tracker tracker, string sweepId) => Tracker.Wait(OpenAsync(tracker, sweepId));

    /// <inheritdoc cref="Open"/>
    public static async Task<Sweep> OpenAsync(Tracker tracker, string sweepId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        Run run;
        try
        {
            run = await tracker.Store.GetRunAsync(sweepId, cancellationToken).ConfigureAwait(false);
        }
        catch (TrackingException e) when (e.Code is TrackingErrorCode.ResourceDoesNotExist or TrackingErrorCode.InvalidParameterValue)
        {
            throw new ArgumentException($"No sweep with id '{sweepId}' in this store ({e.Message}).", nameof(sweepId), e);
        }
        if (run.Data.Tags.GetValueOrDefault(SweepTags.Role) != SweepTags.SweepRole || !run.Data.Tags.TryGetValue(SweepTags.Yaml, out var yaml))
            throw new ArgumentException($"Run {sweepId} ('{run.Name}') is not a sweep: it has no {SweepTags.Role} = sweep tag.", nameof(sweepId));
        var seed = int.Parse(run.Data.Tags.GetValueOrDefault(SweepTags.Seed, "0"), CultureInfo.InvariantCulture);
        return new Sweep(tracker, run, SweepConfig.Parse(yaml, $"sweep {sweepId}").Validate(), seed, yaml, WarmStartReport.FromRun(run));
    }

    /// <summary>Every sweep in the store (or in <paramref name="experiment"/>), newest first.</summary>
    /// <example><code>Sweep.List(tracker)</code></example>
    public static IReadOnlyList<SweepSummary> List(Tracker tracker, string? experiment = null) => Tracker.Wait(ListAsync(tracker, experiment));

    /// <inheritdoc cref="List"/>
    public static async Task<IReadOnlyList<SweepSummary>> ListAsync(Tracker tracker, string? experiment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        IReadOnlyList<string> ids;
        if (experiment is null)
            ids = (await tracker.Store.SearchExperimentsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(e => e.ExperimentId).ToList();
        else
            ids = [(await tracker.Store.GetExperimentByNameAsync(experiment, cancellationToken).ConfigureAwait(false)
                   ?? throw new ArgumentException($"No experiment named '{experiment}'.", nameof(experiment))).ExperimentId];
        var sweeps = new List<SweepSummary>();
        if (ids.Count == 0) return sweeps;
        string? token = null;
        do
        {
            var page = await tracker.Store.SearchRunsAsync(new RunQuery(ids, $"tags.`{SweepTags.Role}` = '{SweepTags.SweepRole}'",
                ["attributes.start_time DESC"], TrackingLimits.MaxResultsLimit, token), cancellationToken).ConfigureAwait(false);
            foreach (var run in page)
                if (run.Data.Tags.TryGetValue(SweepTags.Yaml, out var yaml))
                    sweeps.Add(SweepSummary.From(run, SweepConfig.Parse(yaml, $"sweep {run.RunId}"), WarmStartReport.FromRun(run)));
            token = page.NextPageToken;
        } while (token is not null);
        return sweeps;
    }

    /// <summary>The sweep at a glance: state, why it finished, how many trials.</summary>
    public SweepSummary GetSummary() => Tracker.Wait(GetSummaryAsync());

    /// <inheritdoc cref="GetSummary"/>
    public async Task<SweepSummary> GetSummaryAsync(CancellationToken cancellationToken = default) =>
        SweepSummary.From(await Store.GetRunAsync(Id, cancellationToken).ConfigureAwait(false), Config, WarmStart);

    // ---------------- state ----------------

    /// <summary>Running, stopped or finished (read from the store).</summary>
    public SweepState GetState() => Tracker.Wait(GetStateAsync());

    /// <inheritdoc cref="GetState"/>
    public async Task<SweepState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var run = await Store.GetRunAsync(Id, cancellationToken).ConfigureAwait(false);
        return ParseState(run);
    }

    internal static SweepState ParseState(Run sweepRun) => sweepRun.Data.Tags.GetValueOrDefault(SweepTags.State) switch
    {
        "stopped" => SweepState.Stopped,
        "finished" => SweepState.Finished,
        _ => SweepState.Running,
    };

    /// <summary>Stops handing out configurations (W&amp;B's <c>sweep --stop</c>): agents quit after their current trial.</summary>
    public void Stop() => Tracker.Wait(StopAsync());

    /// <inheritdoc cref="Stop"/>
    public Task StopAsync(CancellationToken cancellationToken = default) => SetStateAsync("stopped", cancellationToken);

    /// <summary>Lets a stopped sweep hand out configurations again; it goes on where it stopped.</summary>
    public void Resume() => Tracker.Wait(ResumeAsync());

    /// <inheritdoc cref="Resume"/>
    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        if (await GetStateAsync(cancellationToken).ConfigureAwait(false) == SweepState.Finished)
            throw new InvalidOperationException($"Sweep {Id} is finished ({await CompletionTextAsync(cancellationToken).ConfigureAwait(false)}); create a new sweep to search further.");
        await SetStateAsync("running", cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> CompletionTextAsync(CancellationToken ct) =>
        (await Store.GetRunAsync(Id, ct).ConfigureAwait(false)).Data.Tags.GetValueOrDefault(SweepTags.Completion, "complete");

    private Task SetStateAsync(string state, CancellationToken ct) =>
        Store.LogBatchAsync(Id, [], [], [new RunTag(SweepTags.State, state)], ct);

    // ---------------- reading trials ----------------

    /// <summary>Every current trial in order, read from the store (a crashed run that another agent took over is replaced by its successor).</summary>
    public IReadOnlyList<TrialRecord> GetTrials() => Tracker.Wait(GetTrialsAsync());

    /// <inheritdoc cref="GetTrials"/>
    public async Task<IReadOnlyList<TrialRecord>> GetTrialsAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(withHistories: true, cancellationToken).ConfigureAwait(false)).Trials;

    /// <summary>Every run the sweep ever started for a trial, superseded crashed ones included (what the tracking UI lists).</summary>
    public async Task<IReadOnlyList<Run>> GetAllRunsAsync(CancellationToken cancellationToken = default)
    {
        var runs = new List<Run>();
        string? token = null;
        do
        {
            var page = await Store.SearchRunsAsync(new RunQuery([ExperimentId], $"tags.`{SystemTags.ParentRunId}` = '{Id}'",
                ["attributes.start_time ASC"], TrackingLimits.MaxResultsLimit, token), cancellationToken).ConfigureAwait(false);
            runs.AddRange(page);
            token = page.NextPageToken;
        } while (token is not null);
        return runs;
    }

    /// <summary>The finished or stopped trial with the best metric value, or null when none has one.</summary>
    public TrialRecord? GetBest() => Tracker.Wait(GetBestAsync());

    /// <inheritdoc cref="GetBest"/>
    public async Task<TrialRecord?> GetBestAsync(CancellationToken cancellationToken = default)
    {
        if (Config.Metric is null) throw new InvalidOperationException("The sweep has no metric, so no trial is best.");
        return new SweepDashboard(Config, await GetTrialsAsync(cancellationToken).ConfigureAwait(false)).Best;
    }

    internal sealed record Snapshot(Run SweepRun, IReadOnlyList<TrialRecord> Trials)
    {
        public SweepState State => ParseState(SweepRun);
        public IReadOnlyList<SweepRun> SweepRuns => Trials.Select(t => t.ToSweepRun()).ToList();
    }

    /// <summary>
    /// Reads the sweep run (its slots) and then the trial runs: a run is created before its slot is written, so
    /// every slot read here has its run.
    /// </summary>
    internal async Task<Snapshot> ReadAsync(bool withHistories, CancellationToken ct)
    {
        var sweepRun = await Store.GetRunAsync(Id, ct).ConfigureAwait(false);
        var slots = new SortedDictionary<int, (int Attempt, string RunId)>();
        foreach (var (key, value) in sweepRun.Data.Params)
            if (SweepTags.TryParseSlotKey(key, out var slot, out var attempt) && (!slots.TryGetValue(slot, out var s) || s.Attempt < attempt))
                slots[slot] = (attempt, value);
        var byId = (await GetAllRunsAsync(ct).ConfigureAwait(false)).ToDictionary(r => r.RunId, StringComparer.Ordinal);
        var trials = new List<TrialRecord>(slots.Count);
        var metric = Config.Metric?.Name;
        foreach (var (slot, (attempt, runId)) in slots)
        {
            var run = byId.GetValueOrDefault(runId) ?? await Store.GetRunAsync(runId, ct).ConfigureAwait(false);
            var state = TrialState(run);
            IReadOnlyList<double> history = [];
            if (withHistories && metric is not null) history = await HistoryAsync(run, state, metric, ct).ConfigureAwait(false);
            trials.Add(new TrialRecord(slot, attempt, run, ConfigJson.Read(run.Data.Tags[SweepTags.Config]), state, history));
        }
        return new Snapshot(sweepRun, trials);
    }

    private async Task<IReadOnlyList<double>> HistoryAsync(Run run, RunState state, string metric, CancellationToken ct)
    {
        lock (_cacheLock)
            if (_finishedHistories.TryGetValue(run.RunId, out var cached)) return cached;
        var history = (await Store.GetMetricHistoryAsync(run.RunId, metric, ct).ConfigureAwait(false)).Select(m => m.Value).ToList();
        // An ended trial's history never changes again: read it once per process.
        if (state is not (RunState.Running or RunState.Pending))
            lock (_cacheLock) _finishedHistories[run.RunId] = history;
        return history;
    }

    /// <summary>
    /// The trial's state from the tag its agent writes when the trial ends; a trial still tagged running whose run is
    /// no longer RUNNING (failed for a stale heartbeat) crashed with its agent.
    /// </summary>
    private static RunState TrialState(Run run) => run.Data.Tags.GetValueOrDefault(SweepTags.State) switch
    {
        "finished" => RunState.Finished,
        "stopped" => RunState.Stopped,
        "failed" => RunState.Failed,
        "killed" => RunState.Killed,
        "crashed" => RunState.Crashed,
        _ => run.Info.Status == RunStatus.Running ? RunState.Running : RunState.Crashed,
    };

    // ---------------- claiming ----------------

    /// <summary>A configuration an agent has won, with its run.</summary>
    internal sealed record Claim(int Slot, int Attempt, Run Run, ParameterValues Config, string Note);

    /// <summary>Why <see cref="ClaimAsync"/> returned no configuration.</summary>
    internal sealed record NoClaim(string Reason);

    /// <summary>
    /// Claims the next configuration for <paramref name="agent"/>: first a crashed trial's configuration (its run
    /// failed for a stale heartbeat), otherwise the search's next suggestion. Optimistic: read, suggest, create the
    /// run, then write the slot param; when another agent wrote that slot first the run is discarded and the claim
    /// starts over with a fresh read.
    /// </summary>
    internal async Task<(Claim? Claim, NoClaim? Why)> ClaimAsync(string agent, TimeSpan staleAfter, CancellationToken ct)
    {
        for (var round = 0; ; round++)
        {
            ct.ThrowIfCancellationRequested();
            await Store.FailStaleRunsAsync(DateTimeOffset.UtcNow.Add(-staleAfter).ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
            var needHistories = Config.Metric is not null && (Config.Method is SearchMethod.Bayes or SearchMethod.Tpe || Config.Metric.Target is not null);
            var snapshot = await ReadAsync(needHistories, ct).ConfigureAwait(false);
            if (snapshot.State == SweepState.Stopped) return (null, new NoClaim("the sweep is stopped"));
            if (snapshot.State == SweepState.Finished) return (null, new NoClaim($"the sweep is finished ({snapshot.SweepRun.Data.Tags.GetValueOrDefault(SweepTags.Completion)})"));

            ParameterValues config;
            int slot, attempt;
            string note;
            string? fallback = null;
            if (snapshot.Trials.FirstOrDefault(t => t.State == RunState.Crashed) is { } crashed)
            {
                (config, slot, attempt) = (crashed.Config, crashed.Number, crashed.Attempt + 1);
                note = $"took over {crashed.RunId}, whose agent stopped sending heartbeats";
            }
            else
            {
                var runs = snapshot.SweepRuns;
                if (Sweeper.Suggest(runs) is not { } suggestion)
                {
                    var reason = Sweeper.Completion(runs)?.ToString() ?? "no configuration left";
                    if (snapshot.Trials.All(t => !t.ToSweepRun().IsInFlight)) await FinishAsync(reason, ct).ConfigureAwait(false);
                    return (null, new NoClaim($"the sweep is complete ({Describe(reason)})"));
                }
                (config, slot, attempt, note, fallback) = (suggestion.Config, snapshot.Trials.Count, 0, suggestion.Note, suggestion.Fallback);
            }

            var run = await CreateTrialRunAsync(config, slot, attempt, note, fallback, agent, ct).ConfigureAwait(false);
            if (await TryWriteSlotAsync(slot, attempt, run.RunId, ct).ConfigureAwait(false))
            {
                if (attempt > 0)
                {
                    var previous = snapshot.Trials.First(t => t.Number == slot);
                    await Store.LogBatchAsync(previous.RunId, [], [], [new RunTag(SweepTags.State, "crashed")], ct).ConfigureAwait(false);
                }
                return (new Claim(slot, attempt, run, config, note), null);
            }
            // Lost the slot to another agent: discard the run (killed and deleted, so no UI lists it) and read again.
            await Store.UpdateRunAsync(run.RunId, RunStatus.Killed, TrackingNames.NowMs(), cancellationToken: ct).ConfigureAwait(false);
            await Store.DeleteRunAsync(run.RunId, ct).ConfigureAwait(false);
            if (round >= 1000) throw new InvalidOperationException($"Could not claim a configuration of sweep {Id} after {round + 1} attempts.");
        }
    }

    private static string Describe(string completion) => completion switch
    {
        nameof(CompletionReason.RunCapReached) => "run_cap reached",
        nameof(CompletionReason.TargetReached) => "a trial reached the target",
        nameof(CompletionReason.SpaceExhausted) => "every configuration has been run",
        _ => completion,
    };

    private async Task<Run> CreateTrialRunAsync(ParameterValues config, int slot, int attempt, string note, string? fallback, string agent, CancellationToken ct)
    {
        var tags = new Dictionary<string, string>(SystemTags.ForThisProcess())
        {
            [SystemTags.ParentRunId] = Id,
            [SweepTags.SweepId] = Id,
            [SweepTags.Slot] = slot.ToString(CultureInfo.InvariantCulture),
            [SweepTags.Attempt] = attempt.ToString(CultureInfo.InvariantCulture),
            [SweepTags.Config] = ConfigJson.Write(config),
            [SweepTags.Note] = note.Length > 500 ? note[..500] : note,
            [SweepTags.Agent] = agent,
            [SweepTags.State] = "running",
        };
        if (fallback is not null) tags[SweepTags.Fallback] = fallback.Length > 500 ? fallback[..500] : fallback;
        var name = string.Create(CultureInfo.InvariantCulture, $"{Name}-{slot}{(attempt > 0 ? $"-retry{attempt}" : "")}");
        var run = await Store.CreateRunAsync(ExperimentId, name, TrackingNames.NowMs(), Environment.UserName,
            tags.Select(t => new RunTag(t.Key, t.Value)), ct).ConfigureAwait(false);
        // A heartbeat before the slot is written: if this agent dies right after winning, the run still goes stale.
        await Store.HeartbeatAsync(run.RunId, TrackingNames.NowMs(), ct).ConfigureAwait(false);
        foreach (var chunk in config.Select(kv => new Param(kv.Key, ConfigJson.Format(kv.Value))).Chunk(TrackingLimits.MaxParamsTagsPerBatch))
            await Store.LogBatchAsync(run.RunId, [], chunk, [], ct).ConfigureAwait(false);
        return run;
    }

    /// <summary>Writes the write-once slot param; false when another agent's run already holds the slot.</summary>
    private async Task<bool> TryWriteSlotAsync(int slot, int attempt, string runId, CancellationToken ct)
    {
        var key = SweepTags.SlotKey(slot, attempt);
        try
        {
            await Store.LogBatchAsync(Id, [], [new Param(key, runId)], [], ct).ConfigureAwait(false);
            return true;
        }
        catch (TrackingException e) when (e.Code is TrackingErrorCode.InvalidParameterValue or TrackingErrorCode.ResourceAlreadyExists)
        {
            // Either another value is there (lost), or our own write committed before an error reached us (won).
            var sweepRun = await Store.GetRunAsync(Id, ct).ConfigureAwait(false);
            return sweepRun.Data.Params.GetValueOrDefault(key) == runId;
        }
    }

    /// <summary>Marks the sweep finished when it is complete and no trial is in flight (an agent that stops at its count checks this).</summary>
    internal async Task FinishIfCompleteAsync(CancellationToken ct)
    {
        var snapshot = await ReadAsync(Config.Metric?.Target is not null, ct).ConfigureAwait(false);
        if (snapshot.State != SweepState.Running || snapshot.Trials.Any(t => t.ToSweepRun().IsInFlight)) return;
        var runs = snapshot.SweepRuns;
        if (Sweeper.Completion(runs) is { } reason && snapshot.Trials.All(t => t.State != RunState.Crashed))
            await FinishAsync(reason.ToString(), ct).ConfigureAwait(false);
    }

    internal async Task FinishAsync(string completion, CancellationToken ct)
    {
        await Store.LogBatchAsync(Id, [], [], [new RunTag(SweepTags.State, "finished"), new RunTag(SweepTags.Completion, Describe(completion))], ct).ConfigureAwait(false);
        await Store.UpdateRunAsync(Id, RunStatus.Finished, TrackingNames.NowMs(), cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Early termination for a running trial: the trials as stored, with <paramref name="runId"/>'s history replaced by
    /// the agent's own (its latest values may still be in the metric buffer), passed to <see cref="Sweeper.RunsToStop"/>.
    /// Also reports a trial that another agent took over (its slot names another run now).
    /// </summary>
    internal async Task<string?> StopReasonAsync(string runId, int slot, IReadOnlyList<double> ownHistory, CancellationToken ct)
    {
        var snapshot = await ReadAsync(Config.EarlyTerminate is not null, ct).ConfigureAwait(false);
        var current = snapshot.Trials.FirstOrDefault(t => t.Number == slot);
        if (current is not null && current.RunId != runId)
            return $"superseded: another agent took over this configuration as run {current.RunId}";
        if (Config.EarlyTerminate is null) return null;
        var runs = snapshot.Trials.Select(t => t.RunId == runId
            ? new SweepRun(t.Config, RunState.Running, ownHistory) { Name = runId }
            : t.ToSweepRun()).ToList();
        return Sweeper.RunsToStop(runs).FirstOrDefault(s => s.Run.Name == runId)?.Reason;
    }

    // ---------------- agents ----------------

    /// <summary>
    /// Runs up to <paramref name="count"/> trials in this process, one after another: claim a configuration, call
    /// <paramref name="train"/>, record how it ended. The training function logs metrics per epoch with
    /// <see cref="Trial.Log(long, object)"/> and checks <see cref="Trial.ShouldStop"/> to end early. Quits early when the
    /// sweep is complete or stopped, or by W&amp;B's failure rules (<see cref="AgentFailurePolicy"/>), throwing
    /// <see cref="SweepAgentException"/> with the first failure then.
    /// </summary>
    /// <example><code>sweep.RunAgent(10, trial => Train(trial.Get&lt;double&gt;("lr"), trial));</code></example>
    public AgentReport RunAgent(int? count, Action<Trial> train, AgentOptions? options = null) =>
        Tracker.Wait(RunAgentAsync(count, trial => { train(trial); return Task.CompletedTask; }, options));

    /// <inheritdoc cref="RunAgent"/>
    public Task<AgentReport> RunAgentAsync(int? count, Func<Trial, Task> train, AgentOptions? options = null, CancellationToken cancellationToken = default) =>
        new SweepAgent(this, options ?? new AgentOptions()).RunAsync(count, train, cancellationToken);

    // ---------------- display ----------------

    /// <summary>The dashboard: trials table, parallel coordinates, metric vs each parameter, best so far, importance.</summary>
    public SweepDashboard Dashboard() => Tracker.Wait(DashboardAsync());

    /// <inheritdoc cref="Dashboard"/>
    public async Task<SweepDashboard> DashboardAsync(CancellationToken cancellationToken = default) =>
        new(Config, await GetTrialsAsync(cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override string ToString() => $"Sweep {Name} ({Id}): {Config}";
}
