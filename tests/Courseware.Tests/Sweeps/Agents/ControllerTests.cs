using Courseware.Sweeps;
using Courseware.Tests.Tracking;
using Courseware.Tracking;

namespace Courseware.Tests.Sweeps.Agents;

/// <summary>The store-backed controller in one process: claiming, completion, stop/resume, early termination, reclaiming.</summary>
public sealed class ControllerTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Tracker _tracker;

    public ControllerTests() =>
        _tracker = Tracker.Open(_folder.Path, new TrackerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), StaleAfter = TimeSpan.FromSeconds(1) });

    public void Dispose()
    {
        _tracker.Dispose();
        _folder.Dispose();
    }

    private const string Grid = """
        method: grid
        metric: {name: loss, goal: minimize}
        parameters:
          a: {values: [1, 2, 3]}
          b: {values: [x, y]}
          c: {value: 0.5}
        """;

    private static double Loss(ParameterValues c) => c.Get<long>("a") * 10 + (c.Get<string>("b") == "x" ? 1 : 2);

    [Fact]
    public void Grid_sweep_runs_every_point_once_then_finishes()
    {
        var sweep = Sweep.Create(_tracker, Grid, experiment: "grid");
        var report = sweep.RunAgent(null, trial => trial.Log(0, new { loss = Loss(trial.Config) }));

        Assert.Equal(6, report.Trials.Count);
        Assert.Contains("every configuration has been run", report.QuitReason);
        var trials = sweep.GetTrials();
        Assert.Equal([0, 1, 2, 3, 4, 5], trials.Select(t => t.Number));
        Assert.Equal(6, trials.Select(t => t.Config.Key).Distinct().Count());
        Assert.All(trials, t => Assert.Equal(RunState.Finished, t.State));
        Assert.All(trials, t => Assert.Equal([Loss(t.Config)], t.History));
        Assert.Equal(SweepState.Finished, sweep.GetState());
        Assert.Equal(11, sweep.GetBest()!.Objective(MetricGoal.Minimize));
        // Trials are ordinary tracking runs: params = configuration (typed values survive the round trip).
        var run = trials[0].Run;
        Assert.Equal(sweep.Id, run.ParentRunId);
        Assert.Equal("1", run.Param("a"));
        Assert.Equal("x", run.Param("b"));
        Assert.IsType<long>(trials[0].Config["a"]);
        Assert.IsType<double>(trials[0].Config["c"]);
        Assert.Equal(RunStatus.Finished, run.Info.Status);
    }

    [Fact]
    public void A_second_agent_on_a_finished_sweep_gets_nothing()
    {
        var sweep = Sweep.Create(_tracker, Grid);
        sweep.RunAgent(null, trial => trial.Log(0, new { loss = 1.0 }));
        var again = Sweep.Open(_tracker, sweep.Id).RunAgent(null, _ => Assert.Fail("no configuration is left"));
        Assert.Empty(again.Trials);
        Assert.Contains("finished", again.QuitReason);
    }

    [Fact]
    public void Run_cap_counts_trials_of_all_agents_and_count_caps_one_agent()
    {
        var sweep = Sweep.Create(_tracker, """
            method: random
            run_cap: 5
            parameters:
              lr: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
            """, seed: 3);
        Assert.Equal(2, sweep.RunAgent(2, _ => { }).Trials.Count);
        Assert.Equal(SweepState.Running, sweep.GetState());
        var rest = sweep.RunAgent(10, _ => { });
        Assert.Equal(3, rest.Trials.Count);
        Assert.Contains("run_cap reached", rest.QuitReason);
        Assert.Equal(SweepState.Finished, sweep.GetState());
        var exact = Sweep.Create(_tracker, Grid);
        exact.RunAgent(6, _ => { }); // stops at its count exactly when the grid is used up: still marks the sweep finished
        Assert.Equal(SweepState.Finished, exact.GetState());
        Assert.Equal(5, sweep.GetTrials().Select(t => t.Config.Key).Distinct().Count());
        Assert.All(sweep.GetTrials(), t => Assert.InRange(t.Config.Get<double>("lr"), 1e-4, 1e-1));
    }

    [Fact]
    public void Target_ends_the_sweep_once_a_trial_reaches_it()
    {
        var sweep = Sweep.Create(_tracker, Grid.Replace("goal: minimize}", "goal: maximize, target: 21}"));
        var report = sweep.RunAgent(null, trial => trial.Log(0, new { loss = Loss(trial.Config) }));
        // grid order a=1..3 × b=x,y: values 11, 12, 21 → the third reaches the target (maximize: value ≥ 21)
        Assert.Equal([11.0, 12.0, 21.0], report.Trials.Select(t => t.Objective!.Value));
        Assert.Contains("target", report.QuitReason);
    }

    [Fact]
    public void Stop_and_resume_continue_where_the_sweep_stopped()
    {
        var sweep = Sweep.Create(_tracker, Grid);
        sweep.RunAgent(2, trial => trial.Log(0, new { loss = Loss(trial.Config) }));
        sweep.Stop();
        Assert.Equal(SweepState.Stopped, sweep.GetState());
        var stopped = sweep.RunAgent(null, _ => Assert.Fail("a stopped sweep hands out nothing"));
        Assert.Empty(stopped.Trials);
        Assert.Contains("stopped", stopped.QuitReason);

        sweep.Resume();
        var resumed = sweep.RunAgent(null, trial => trial.Log(0, new { loss = Loss(trial.Config) }));
        Assert.Equal([2, 3, 4, 5], resumed.Trials.Select(t => t.Number));
        Assert.Equal(6, sweep.GetTrials().Select(t => t.Config.Key).Distinct().Count());
        Assert.Throws<InvalidOperationException>(sweep.Resume); // finished sweeps stay finished
    }

    /*
     Hyperband {min_iter: 2, eta: 2} → bands 2, 4, 8; trials run one after another, each checked after every step
     against every trial before it (W&B's rule: threshold = sorted(values at band−1)[int(n/eta)], stop when worse).
       A 1.0 .8 .6 .5 .4   — alone at band 2 (threshold .8) and band 4 (.5): finished.
       B 1.0 .9 .85 .8 .7  — band 2: [.8 .9] → [1] = .9, not worse; band 4: [.5 .8] → .8, not worse: finished.
       C 1.2 1.1 1 .9 .8   — band 2: [.8 .9 1.1] → [1] = .9; 1.1 > .9: STOPPED after 2 steps.
       D .9 .7 .6 .55 .3   — band 2: [.7 .8 .9 1.1] → [2] = .9; band 4: [.5 .55 .8] → [1] = .55, equal: finished.
       E 1 .85 .7 .85 .6   — band 2: [.7 .8 .85 .9 1.1] → [2] = .85, equal; band 4: [.5 .55 .8 .85] → [2] = .8;
                             .85 > .8: STOPPED after 4 steps.
    */
    [Fact]
    public void Hyperband_stops_exactly_the_trials_computed_by_hand()
    {
        var curves = new Dictionary<string, double[]>
        {
            ["A"] = [1.0, 0.8, 0.6, 0.5, 0.4],
            ["B"] = [1.0, 0.9, 0.85, 0.8, 0.7],
            ["C"] = [1.2, 1.1, 1.0, 0.9, 0.8],
            ["D"] = [0.9, 0.7, 0.6, 0.55, 0.3],
            ["E"] = [1.0, 0.85, 0.7, 0.85, 0.6],
        };
        var sweep = Sweep.Create(_tracker, """
            method: grid
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 2, eta: 2}
            parameters:
              curve: {values: [A, B, C, D, E]}
            """);
        sweep.RunAgent(null, trial =>
        {
            var curve = curves[trial.Get<string>("curve")];
            for (var step = 0; step < curve.Length && !trial.ShouldStop; step++) trial.Log(step, new { loss = curve[step] });
        });

        var trials = sweep.GetTrials().ToDictionary(t => t.Config.Get<string>("curve"));
        Assert.Equal(["C", "E"], trials.Where(t => t.Value.State == RunState.Stopped).Select(t => t.Key).Order());
        Assert.Equal(2, trials["C"].History.Count);
        Assert.Equal(4, trials["E"].History.Count);
        Assert.Equal(5, trials["D"].History.Count);
        Assert.Contains("band 2", trials["C"].StopReason);
        Assert.Contains("band 4", trials["E"].StopReason);
        Assert.Equal(RunStatus.Killed, trials["C"].Run.Info.Status);
        Assert.Equal("stopped", trials["C"].Run.Data.Tags[SweepTags.State]);
        Assert.Equal(SweepState.Finished, sweep.GetState());
    }

    [Fact]
    public async Task A_crashed_trial_is_taken_over_and_counted_once()
    {
        var sweep = Sweep.Create(_tracker, Grid);
        // An agent that claims, heartbeats once and dies (no ActiveRun, so no further heartbeats).
        var (claim, _) = await sweep.ClaimAsync("doomed", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.NotNull(claim);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var report = sweep.RunAgent(null, trial => trial.Log(0, new { loss = Loss(trial.Config) }));
        Assert.Equal(0, report.Trials[0].Number);           // the crashed configuration first
        Assert.Equal(claim!.Config, report.Trials[0].Config);
        var trials = sweep.GetTrials();
        Assert.Equal(6, trials.Count);
        Assert.Equal(6, trials.Select(t => t.Config.Key).Distinct().Count());
        Assert.All(trials, t => Assert.Equal(RunState.Finished, t.State));
        Assert.Equal(1, trials[0].Attempt);
        var dead = await _tracker.GetRunAsync(claim.Run.RunId);
        Assert.Equal("crashed", dead.Data.Tags[SweepTags.State]);
        Assert.Equal(RunStatus.Failed, dead.Info.Status);
        Assert.Equal(7, (await sweep.GetAllRunsAsync()).Count); // 6 trials + the crashed run, kept for the record
    }

    [Fact]
    public void A_trial_the_model_could_not_choose_says_why()
    {
        // Every trial logs the same loss: from the third trial on bayes's Gaussian process has its length scale on a
        // bound, TPE (random before its 10th result) chooses, and the trial's record keeps the reason.
        var sweep = Sweep.Create(_tracker, """
            method: bayes
            metric: {name: loss}
            parameters:
              x: {min: 0.0, max: 1.0}
            """);
        sweep.RunAgent(5, trial => trial.Log(0, new { loss = 1.0 }));
        var trials = sweep.GetTrials();
        Assert.Equal(5, trials.Count);
        Assert.All(trials.Take(2), t => Assert.Null(t.Fallback));
        Assert.All(trials.Skip(2), t =>
        {
            Assert.Contains("length scale", t.Fallback);
            Assert.Equal(t.Fallback, t.Run.Data.Tags[SweepTags.Fallback]);
            Assert.Contains("bayes fallback", t.Note);
        });
    }

    [Fact]
    public void An_agent_whose_trials_keep_failing_quits_by_wandbs_flapping_rule()
    {
        var sweep = Sweep.Create(_tracker, Grid);
        var e = Assert.Throws<SweepAgentException>(() => sweep.RunAgent(null, _ => throw new NotImplementedException("train me")));
        Assert.Equal(3, e.Report.Trials.Count);
        Assert.Equal(AgentVerdict.QuitFlapping, e.Report.Verdict);
        Assert.IsType<NotImplementedException>(e.InnerException);
        Assert.Contains("NotImplementedException: train me", e.Message);
        Assert.All(sweep.GetTrials(), t => Assert.Equal(RunState.Failed, t.State));
        Assert.All(sweep.GetTrials(), t => Assert.Equal(RunStatus.Failed, t.Run.Info.Status));
    }

    [Fact]
    public async Task Async_agent_and_stop_token()
    {
        var sweep = Sweep.Create(_tracker, """
            method: grid
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 1, eta: 2}
            parameters:
              start: {values: [1, 2, 9]}
            """);
        var report = await sweep.RunAgentAsync(null, async trial =>
        {
            for (var step = 0; step < 3; step++)
            {
                await trial.LogAsync(step, new Dictionary<string, double> { ["loss"] = trial.Get<double>("start") - step }, trial.StopToken);
                trial.StopToken.ThrowIfCancellationRequested();
            }
        });
        // Bands 1, 2, 4. Trial 1 (2, 1, 0): band 1 [1 2] → [1] = 2 and band 2 [0 1] → 1, equal both times: finished.
        // Trial 2 starts at 9: band 1 [1 2 9] → [int(3/2)] = 2; 9 > 2: stopped at its first step, through the token.
        Assert.Equal([RunState.Finished, RunState.Finished, RunState.Stopped], report.Trials.Select(t => t.State));
        Assert.Equal([-1.0, 0.0, 9.0], report.Trials.Select(t => t.Objective!.Value));
    }

    [Fact]
    public void Opening_something_that_is_not_a_sweep_says_so()
    {
        using var run = _tracker.StartRun("plain", "not-a-sweep");
        var e = Assert.Throws<ArgumentException>(() => Sweep.Open(_tracker, run.RunId));
        Assert.Contains("not-a-sweep", e.Message);
        Assert.Contains("is not a sweep", e.Message);
        Assert.Throws<ArgumentException>(() => Sweep.Open(_tracker, "0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public async Task A_bad_sweep_file_is_rejected_before_anything_is_stored()
    {
        var e = Assert.Throws<SweepConfigException>(() => Sweep.Create(_tracker, "method: grid\nparameters:\n  lr: {min: 0.1, max: 0.01}\n"));
        Assert.Contains("min", e.Message);
        Assert.DoesNotContain(await _tracker.Store.SearchExperimentsAsync(), x => x.Name == "sweeps");
    }
}
