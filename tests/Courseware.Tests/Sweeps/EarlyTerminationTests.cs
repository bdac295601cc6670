using Courseware.Sweeps;

namespace Courseware.Tests.Sweeps;

public class EarlyTerminationTests
{
    private static readonly SweepMetric Loss = new("loss");
    private static readonly double N = double.NaN;

    private static SweepRun Curve(string name, RunState state, params double[] history) =>
        new(new ParameterValues([new("name", name)]), state, history) { Name = name };

    private static IReadOnlyList<SweepRun> Curves() =>
    [
        Curve("A", RunState.Finished, 1.0, 0.8, 0.6, 0.5, 0.45, 0.40),
        Curve("B", RunState.Finished, 1.2, 0.9, 0.7, 0.65, 0.6, 0.55),
        Curve("C", RunState.Finished, 0.9, 0.7, 0.5, 0.4, 0.35, 0.30),
        Curve("D", RunState.Running, 1.1, 0.95),
        Curve("E", RunState.Running, 1.0, 0.75, 0.7),
        Curve("F", RunState.Running, 1.3, 1.0, 0.9, 0.8, 0.7, 0.65, 0.6),
        Curve("G", RunState.Running, 1.0, N, 0.78),
        Curve("H", RunState.Failed, 0.95, 0.72),
        Curve("I", RunState.Running, 1.0, 0.9, 0.6),
    ];

    [Fact]
    public void HyperbandBandsFollowWandb()
    {
        Assert.Equal([2, 6, 18, 54], new HyperbandTermination { MinIter = 2, Eta = 3 }.Bands().Take(4));
        Assert.Equal([3, 9], new HyperbandTermination { MaxIter = 27, S = 2, Eta = 3 }.Bands());      // 27/3, 27/9; max_iter itself is no band
        Assert.Equal([1, 2], new HyperbandTermination { MaxIter = 5, S = 2, Eta = 2 }.Bands());       // int(2.5), int(1.25)
        Assert.Equal([1, 3], new HyperbandTermination { MaxIter = 9, S = 5, Eta = 3 }.Bands()); // 9/3 = 3, 9/9 = 1, then 1/3 < 1 stops
    }

    /*
     Hand computation, hyperband {min_iter: 2, eta: 3} → bands 2, 6, 18, …; iteration = number of finite values.
     G's NaN is dropped, so G's finite history is [1.0, 0.78] (iteration 2).

     Band 2 — every run (any state) with ≥ 2 values, value at index 1:
       A 0.8, B 0.9, C 0.7, D 0.95, E 0.75, F 1.0, G 0.78, H 0.72 (failed runs count), I 0.9
       sorted: 0.7 0.72 0.75 0.78 0.8 0.9 0.9 0.95 1.0   n = 9, int(9/3) = 3 → threshold 0.78
     Band 6 — runs with ≥ 6 values, value at index 5: A 0.40, B 0.55, C 0.30, F 0.65
       sorted: 0.30 0.40 0.55 0.65   n = 4, int(4/3) = 1 → threshold 0.40
     Band 18 — no run: threshold +∞.

     Running runs, highest band reached, strict (value at the band) / not strict (best of the whole history):
       D: 2 values → band 2: 0.95 > 0.78 → stop      | best 0.95 > 0.78 → stop
       E: 3 values → band 2: 0.75 ≤ 0.78 → go on     | best 0.70        → go on
       F: 7 values → band 6: 0.65 > 0.40 → stop      | best 0.60 > 0.40 → stop
       G: 2 values → band 2: 0.78 = 0.78 → go on (strictly worse only)   | best 0.78 → go on
       I: 3 values → band 2: 0.90 > 0.78 → stop      | best 0.60        → go on
     Finished and failed runs are never stopped.
     Strict: D, F, I.  Not strict: D, F.
    */
    [Fact]
    public void HyperbandStopsExactlyTheRunsComputedByHand()
    {
        var strict = new HyperbandTermination { MinIter = 2, Eta = 3 };
        Assert.Equal([(2, 0.78), (6, 0.40), (18, double.PositiveInfinity)], Hyperband.Thresholds(strict, Loss, Curves()).Take(3));
        Assert.Equal(["D", "F", "I"], Hyperband.RunsToStop(strict, Loss, Curves()).Select(s => s.Run.Name));
        Assert.Equal(["D", "F"], Hyperband.RunsToStop(strict with { Strict = false }, Loss, Curves()).Select(s => s.Run.Name));
        Assert.Contains("band 2: 0.95 is worse than the threshold 0.78", Hyperband.RunsToStop(strict, Loss, Curves())[0].Reason);
    }

    [Fact]
    public void HyperbandMaximisesByNegating()
    {
        // The same curves with the sign flipped and goal maximize stop the same runs.
        var flipped = Curves().Select(r => r with { History = r.History!.Select(v => -v).ToList() }).ToList();
        var stops = Hyperband.RunsToStop(new HyperbandTermination { MinIter = 2, Eta = 3 }, new SweepMetric("acc", MetricGoal.Maximize), flipped);
        Assert.Equal(["D", "F", "I"], stops.Select(s => s.Run.Name));
    }

    [Fact]
    public void HyperbandReproducesWandbsDocstringExample()
    {
        // hyperband_stop_runs docstring (wandb/sweeps b1dfc5f): max_iter 5, eta 2, s 2 → bands [1, 2];
        // band 1 values all 10 → threshold sorted[int(0.5·5)] = 10; band 2 values 9, 10, 8, 7, 6 → sorted[2] = 8.
        // b: 10 > 8 → stop; c: 8 = 8 → go on; d: 7 → go on.
        IReadOnlyList<SweepRun> runs =
        [
            Curve("a", RunState.Finished, 10, 9), Curve("b", RunState.Running, 10, 10), Curve("c", RunState.Running, 10, 8, 8),
            Curve("d", RunState.Running, 10, 7, 7), Curve("e", RunState.Finished, 10, 6, 6),
        ];
        var config = new HyperbandTermination { MaxIter = 5, Eta = 2, S = 2 };
        Assert.Equal(["b"], Hyperband.RunsToStop(config, Loss, runs).Select(s => s.Run.Name));
    }

    /*
     Hand computation, median rule with Optuna's defaults (n_startup_trials 5, n_warmup_steps 0, interval_steps 1,
     n_min_trials 1). Steps are history positions 0, 1, 2, …

       finished F1 [5 4 3 2], F2 [6 5 4 3], F3 [4 3 2 1], F4 [7 6 5], F5 [8 7 6 5]; S (stopped) does not count.
       R1 [6 5.5]     step 1: finished at step 1 → 4 5 3 6 7, median 5;   best 5.5 > 5 → stop
       R2 [6 4.5]     step 1: median 5; best 4.5 → go on
       R3 [5 5 5 5]   step 3: finished with a step 3 → F1 2, F2 3, F3 1, F5 5 → sorted 1 2 3 5, median 2.5; best 5 → stop
       R4 [9 NaN 2]   step 2: 3 4 2 5 6 → median 4; best (NaN ignored) 2 → go on
       R5 [NaN]       step 0: every value NaN → stop (Optuna prunes a NaN best value)
       R6 []          no step reported → go on
     Stopped: R1, R3, R5.
     With n_warmup_steps 2, R1 and R5 (steps 1 and 0) are not checked: R3 only.
     With interval_steps 2 only even steps are checked (steps 0, 2, …): R4 (step 2, goes on) and R5 → R5 only.
     With only 4 finished runs (< n_startup_trials) nothing is stopped.
    */
    private static List<SweepRun> MedianCurves() =>
    [
        Curve("F1", RunState.Finished, 5, 4, 3, 2), Curve("F2", RunState.Finished, 6, 5, 4, 3), Curve("F3", RunState.Finished, 4, 3, 2, 1),
        Curve("F4", RunState.Finished, 7, 6, 5), Curve("F5", RunState.Finished, 8, 7, 6, 5), Curve("S", RunState.Stopped, 0, 0, 0, 0),
        Curve("R1", RunState.Running, 6, 5.5), Curve("R2", RunState.Running, 6, 4.5), Curve("R3", RunState.Running, 5, 5, 5, 5),
        Curve("R4", RunState.Running, 9, N, 2), Curve("R5", RunState.Running, N), Curve("R6", RunState.Running),
    ];

    [Fact]
    public void MedianRuleStopsExactlyTheRunsComputedByHand()
    {
        var median = new MedianTermination();
        Assert.Equal(["R1", "R3", "R5"], MedianStopping.RunsToStop(median, Loss, MedianCurves()).Select(s => s.Run.Name));
        Assert.Equal(["R3"], MedianStopping.RunsToStop(median with { WarmupSteps = 2 }, Loss, MedianCurves()).Select(s => s.Run.Name));
        Assert.Equal(["R5"], MedianStopping.RunsToStop(median with { IntervalSteps = 2 }, Loss, MedianCurves()).Select(s => s.Run.Name));
        Assert.Empty(MedianStopping.RunsToStop(median, Loss, MedianCurves().Where(r => r.Name != "F5").ToList()));
        Assert.Contains("median 5 of 5 finished runs", MedianStopping.RunsToStop(median, Loss, MedianCurves())[0].Reason);
    }

    [Fact]
    public void MedianRuleNeedsNMinTrialsAtTheStep()
    {
        // R3 is at step 3, which only 4 finished runs reached.
        var stops = MedianStopping.RunsToStop(new MedianTermination { MinRuns = 5 }, Loss, MedianCurves());
        Assert.Equal(["R1", "R5"], stops.Select(s => s.Run.Name));
    }

    [Fact]
    public void NanMedianInterpolatesLikeNumpy()
    {
        Assert.Equal(2.5, MedianStopping.NanMedian([1, 2, 3, 5]));
        Assert.Equal(3, MedianStopping.NanMedian([3, double.NaN, 1, 5]));
        Assert.True(double.IsNaN(MedianStopping.NanMedian([double.NaN])));
    }

    [Fact]
    public void SweeperAppliesTheConfiguredRule()
    {
        var config = SweepConfig.Parse("""
            method: random
            metric: {name: loss}
            early_terminate: {type: hyperband, min_iter: 2}
            parameters:
              name: {values: [A, B, C, D, E, F, G, H, I]}
            """);
        Assert.Equal(["D", "F", "I"], new Sweeper(config).RunsToStop(Curves()).Select(s => s.Run.Name));
        var median = SweepConfig.Parse("method: random\nmetric: {name: loss}\nearly_terminate: {type: median, n_warmup_steps: 2}\nparameters:\n  name: {value: x}\n");
        Assert.Equal(new MedianTermination { WarmupSteps = 2 }, median.EarlyTerminate);
        Assert.Equal(["R3"], new Sweeper(median).RunsToStop(MedianCurves()).Select(s => s.Run.Name));
        Assert.Empty(new Sweeper(SweepConfig.Parse("method: random\nparameters:\n  x: {value: 1}\n")).RunsToStop(Curves()));
    }
}
