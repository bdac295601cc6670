using Courseware.Sweeps;

namespace Courseware.Tests.Sweeps;

public class SearchTests
{
    private static SweepConfig Config(SearchMethod method, Dictionary<string, Parameter> parameters, SweepMetric? metric = null, int? runCap = null) =>
        new() { Method = method, Metric = metric ?? new SweepMetric("loss"), RunCap = runCap, Parameters = parameters };

    /// <summary>Runs a sweep to completion or <paramref name="budget"/> runs, scoring each configuration with <paramref name="score"/>.</summary>
    internal static List<SweepRun> Run(Sweeper sweeper, Func<ParameterValues, double> score, int budget)
    {
        var runs = new List<SweepRun>();
        for (var i = 0; i < budget; i++)
        {
            if (sweeper.Suggest(runs) is not { } next) break;
            runs.Add(SweepRun.Finished(next.Config, score(next.Config)));
        }
        return runs;
    }

    // ---- grid ------------------------------------------------------------------------------------------------

    [Fact]
    public void GridVisitsEveryPointOnceInWandbsOrder()
    {
        var sweeper = new Sweeper(Config(SearchMethod.Grid, new()
        {
            ["b"] = Parameter.IntUniform(1, 2),
            ["a"] = Parameter.Values("x", "y"),
            ["c"] = Parameter.Constant(5),
            ["d"] = Parameter.QUniform(0, 1, 0.5), // arange(0, 1, 0.5): max excluded, as in W&B
        }));
        var runs = Run(sweeper, _ => 0, 100);
        // itertools.product over the sorted names: a changes slowest
        Assert.Equal(
            ["a=x b=1 c=5 d=0", "a=x b=1 c=5 d=0.5", "a=x b=2 c=5 d=0", "a=x b=2 c=5 d=0.5",
             "a=y b=1 c=5 d=0", "a=y b=1 c=5 d=0.5", "a=y b=2 c=5 d=0", "a=y b=2 c=5 d=0.5"],
            runs.Select(r => string.Join(" ", r.Config.Select(kv => $"{kv.Key}={ParameterValues.KeyOf(kv.Value).Trim('"')}"))));
        Assert.Null(sweeper.Suggest(runs));
        Assert.Equal(CompletionReason.SpaceExhausted, sweeper.Completion(runs));
    }

    [Fact]
    public void GridWithManyPendingClaimsHandsOutEachPointOnce()
    {
        // Four agents claiming in turn before any result arrives: every claim sees the others' pending runs.
        var sweeper = new Sweeper(Config(SearchMethod.Grid, new() { ["x"] = Parameter.IntUniform(1, 5), ["y"] = Parameter.Values(0.1, 0.2, 0.3) }));
        var runs = new List<SweepRun>();
        while (sweeper.Suggest(runs) is { } s) runs.Add(SweepRun.Pending(s.Config));
        Assert.Equal(15, runs.Count);
        Assert.Equal(15, runs.Select(r => r.Config.Key).Distinct().Count());
    }

    [Fact]
    public void GridSkipsPointsAlreadyRunIncludingWarmStartAndIntegerFloats()
    {
        var config = Config(SearchMethod.Grid, new() { ["x"] = Parameter.Values(1, 2, 3) });
        // A run logged x as 1.0 (W&B's yaml_hash treats 1.0 and 1 alike); a warm-start run has x = 2.
        var warm = SweepRun.Finished(new ParameterValues([new("x", 2L)]), 0.5);
        var sweeper = new Sweeper(config, warmStart: [warm]);
        var next = sweeper.Suggest([SweepRun.Finished(new ParameterValues([new("x", 1.0)]), 0.1)]);
        Assert.Equal(3, Convert.ToInt32(next!.Config["x"]));
    }

    [Fact]
    public void GridWithConditionalParametersVariesThemOnlyWhereTheyExist()
    {
        var sweeper = new Sweeper(Config(SearchMethod.Grid, new()
        {
            ["optimizer"] = Parameter.Values("sgd", "adam"),
            ["momentum"] = Parameter.Values(0.9, 0.99).When("optimizer", "sgd"),
        }));
        var runs = Run(sweeper, _ => 0, 10);
        Assert.Equal(["{optimizer: \"sgd\", momentum: 0.9}", "{optimizer: \"sgd\", momentum: 0.99}", "{optimizer: \"adam\"}"],
            runs.Select(r => r.Config.ToString()));
    }

    // ---- random ----------------------------------------------------------------------------------------------

    [Fact]
    public void RandomIsReproducibleAndDependsOnTheSeed()
    {
        var config = Config(SearchMethod.Random, new() { ["lr"] = Parameter.LogUniformValues(1e-5, 1e-1), ["layers"] = Parameter.IntUniform(1, 8) });
        var a = Run(new Sweeper(config, seed: 7), _ => 0, 20).Select(r => r.Config.Key).ToList();
        var b = Run(new Sweeper(config, seed: 7), _ => 0, 20).Select(r => r.Config.Key).ToList();
        var c = Run(new Sweeper(config, seed: 8), _ => 0, 20).Select(r => r.Config.Key).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(20, a.Distinct().Count());
    }

    [Fact]
    public void RandomNeverRepeatsAConfigurationAndEndsWhenAFiniteSpaceIsUsedUp()
    {
        var sweeper = new Sweeper(Config(SearchMethod.Random, new() { ["a"] = Parameter.Values(1, 2, 3), ["b"] = Parameter.Values(true, false) }), seed: 3);
        var runs = Run(sweeper, _ => 0, 50);
        Assert.Equal(6, runs.Count);
        Assert.Equal(6, runs.Select(r => r.Config.Key).Distinct().Count());
        Assert.Equal(CompletionReason.SpaceExhausted, sweeper.Completion(runs));
    }

    [Fact]
    public void ConditionalParametersExistOnlyForTheirParentsValues()
    {
        var config = Config(SearchMethod.Random, new()
        {
            ["optimizer"] = Parameter.Values("sgd", "adam"),
            ["momentum"] = Parameter.Uniform(0, 0.99).When("optimizer", "sgd"),
            ["beta1"] = Parameter.Uniform(0.8, 0.99).When("optimizer", "adam"),
        });
        var runs = Run(new Sweeper(config, seed: 1), _ => 0, 200);
        Assert.All(runs, r =>
        {
            var sgd = (string)r.Config["optimizer"]! == "sgd";
            Assert.Equal(sgd, r.Config.ContainsKey("momentum"));
            Assert.Equal(!sgd, r.Config.ContainsKey("beta1"));
        });
        Assert.InRange(runs.Count(r => (string)r.Config["optimizer"]! == "sgd"), 70, 130);
    }

    [Fact]
    public void RunCapAndTargetEndTheSweep()
    {
        var capped = new Sweeper(Config(SearchMethod.Random, new() { ["x"] = Parameter.Uniform(0, 1) }, runCap: 4));
        var runs = Run(capped, _ => 1, 100);
        Assert.Equal(4, runs.Count);
        Assert.Equal(CompletionReason.RunCapReached, capped.Completion(runs));

        var target = new Sweeper(Config(SearchMethod.Random, new() { ["x"] = Parameter.Uniform(0, 1) }, new SweepMetric("acc", MetricGoal.Maximize, 0.9)), seed: 2);
        var untilTarget = Run(target, c => (double)c["x"]!, 1000);
        Assert.True(untilTarget[^1].Objective(MetricGoal.Maximize) >= 0.9);
        Assert.All(untilTarget.SkipLast(1), r => Assert.True(r.Objective(MetricGoal.Maximize) < 0.9));
        Assert.Equal(CompletionReason.TargetReached, target.Completion(untilTarget));
    }

    // ---- bayes -----------------------------------------------------------------------------------------------

    // Reference: reference/gaussian_process.py (scikit-learn 1.2.1 with W&B's settings).
    [Fact]
    public void GaussianProcessMatchesScikitLearn()
    {
        double[][] x = [[0.1, 0.2], [0.4, 0.9], [0.8, 0.3], [0.5, 0.5], [0.95, 0.85], [0.2, 0.7]];
        double[] y = [1.3, 0.2, 0.9, 0.4, 1.1, 0.6];
        var gp = GaussianProcess.Fit(x, y);
        Assert.Equal(0.1643739245388763, gp.LengthScale, 4);
        Assert.False(gp.LengthScaleAtBound);
        double[][] test = [[0.3, 0.3], [0.6, 0.8], [0.0, 1.0]];
        double[] mean = [0.2733691658923191, -0.4615924115253397, -0.10289108889831178];
        double[] std = [0.9274606047785456, 0.9327024968741041, 0.992978507666057];
        double[] ei = [0.012267048631070594, 0.07310115456202146, 0.042354486921264714];
        var best = (y.Min() - gp.YMean) / gp.YStd;
        for (var i = 0; i < test.Length; i++)
        {
            var (m, s) = gp.Predict(test[i]);
            Assert.Equal(mean[i], m, 4);
            Assert.Equal(std[i], s, 4);
            Assert.Equal(ei[i], BayesSearch.ExpectedImprovement(m, s, best), 4);
        }
    }

    [Fact]
    public void GaussianProcessFlagsALengthScaleOnItsBound()
    {
        // Two points with the same value: the likelihood grows with the length scale up to its bound (W&B then picks at random).
        var gp = GaussianProcess.Fit([[0.2], [0.8]], [1.0, 1.0]);
        Assert.True(gp.LengthScaleAtBound);
        Assert.Equal(1e5, gp.LengthScale, 1e5 * 1e-4);
        // High, low, high: the likelihood is flat for every length scale below ~0.01 and scikit-learn runs into the lower
        // bound (1e-05, see reference/gaussian_process.py's ConvergenceWarning for these points).
        var zigzag = GaussianProcess.Fit([[0.1], [0.5], [0.9]], [1.0, 0.2, 0.8]);
        Assert.True(zigzag.LengthScaleAtBound);
        Assert.Equal(1e-5, zigzag.LengthScale, 1e-9);
    }

    [Fact]
    public void BayesIsRandomUntilTwoResultsThenUsesTheProcess()
    {
        var sweeper = new Sweeper(Config(SearchMethod.Bayes, new() { ["x"] = Parameter.Uniform(0, 1) }), seed: 5);
        var runs = new List<SweepRun>();
        var first = sweeper.Suggest(runs)!;
        Assert.StartsWith("random (fewer than 2 results)", first.Note);
        runs.Add(SweepRun.Finished(first.Config, 3.0));
        Assert.StartsWith("random (fewer than 2 results)", sweeper.Suggest(runs)!.Note);
        // A failed run counts as a result (imputed with the worst value), a running one does not.
        runs.Add(new SweepRun(new ParameterValues([new("x", 0.5)]), RunState.Running, [1.0]));
        Assert.StartsWith("random (fewer than 2 results)", sweeper.Suggest(runs)!.Note);
        runs.Add(new SweepRun(new ParameterValues([new("x", 0.2)]), RunState.Failed));
        Assert.DoesNotContain("fewer than 2", sweeper.Suggest(runs)!.Note);
        // A smooth curve sampled densely enough gives the process a length scale inside its bounds.
        var smooth = new[] { 0.05, 0.25, 0.45, 0.65, 0.85, 1.0 }
            .Select(x => SweepRun.Finished(new ParameterValues([new("x", x)]), (x - 0.3) * (x - 0.3))).ToList();
        Assert.StartsWith("bayes: expected improvement", sweeper.Suggest(smooth)!.Note);
    }

    [Fact]
    public void BayesIsReproducible()
    {
        var config = Config(SearchMethod.Bayes, new() { ["x"] = Parameter.Uniform(-5, 10), ["y"] = Parameter.Uniform(0, 15) });
        var a = Run(new Sweeper(config, seed: 3), c => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y")), 12);
        var b = Run(new Sweeper(config, seed: 3), c => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y")), 12);
        Assert.Equal(a.Select(r => r.Config.Key), b.Select(r => r.Config.Key));
    }

    [Theory]
    [InlineData(SearchMethod.Bayes)]
    [InlineData(SearchMethod.Tpe)]
    public void PendingSuggestionsAreNeverDuplicatedAndAFiniteSpaceRunsOut(SearchMethod method)
    {
        var config = Config(method, new() { ["a"] = Parameter.IntUniform(1, 4), ["b"] = Parameter.Values("p", "q", "r") });
        var sweeper = new Sweeper(config, seed: 11);
        var runs = Run(sweeper, c => c.Get<double>("a"), 12).Take(10).ToList(); // 10 results: tpe is past its startup
        while (sweeper.Suggest(runs) is { } s) runs.Add(SweepRun.Pending(s.Config));
        Assert.Equal(12, runs.Count);
        Assert.Equal(12, runs.Select(r => r.Config.Key).Distinct().Count());
        Assert.Equal(CompletionReason.SpaceExhausted, sweeper.Completion(runs));
    }

    [Fact]
    public void BayesSpreadsParallelSuggestionsThroughStandInValues()
    {
        // With pending runs given the process's own predictions, consecutive suggestions differ even in a continuous space.
        var config = Config(SearchMethod.Bayes, new() { ["x"] = Parameter.Uniform(0, 1) });
        var sweeper = new Sweeper(config, seed: 4);
        var runs = new[] { 0.05, 0.25, 0.45, 0.65, 0.85, 1.0 }
            .Select(x => SweepRun.Finished(new ParameterValues([new("x", x)]), (x - 0.3) * (x - 0.3))).ToList();
        var pending = new List<double>();
        for (var i = 0; i < 4; i++)
        {
            var s = sweeper.Suggest(runs)!;
            Assert.StartsWith("bayes", s.Note);
            pending.Add(s.Config.Get<double>("x"));
            runs.Add(SweepRun.Pending(s.Config));
        }
        var sorted = pending.Order().ToList();
        Assert.True(sorted.Zip(sorted.Skip(1)).All(p => p.Second - p.First > 1e-3), string.Join(", ", pending));
    }

    [Fact]
    public void FailedRunsAreImputedWithTheWorstValue()
    {
        var runs = new List<KnownRun>
        {
            new(new ParameterValues([new("x", 0.1)]), SweepRun.Finished(new ParameterValues([new("x", 0.1)]), 0.3) with { History = [0.9, 0.5, 0.3] }),
            new(new ParameterValues([new("x", 0.2)]), new SweepRun(new ParameterValues([new("x", 0.2)]), RunState.Failed, [0.7])),
            new(new ParameterValues([new("x", 0.3)]), new SweepRun(new ParameterValues([new("x", 0.3)]), RunState.Running, [5.0])),
        };
        // worst of the ended runs' worst values: max(0.9, 0.7); the running run does not count
        Assert.Equal(0.9, BayesSearch.WorstValue(new SweepMetric("loss"), runs));
        Assert.Equal(0.3, BayesSearch.WorstValue(new SweepMetric("acc", MetricGoal.Maximize), runs));
        Assert.Equal(0.0, BayesSearch.WorstValue(new SweepMetric("loss"), []));
    }

    // ---- tpe -------------------------------------------------------------------------------------------------

    [Fact]
    public void TpeUsesOptunasDefaults()
    {
        // gamma(n) = min(ceil(0.1 n), 25)
        Assert.Equal([1, 1, 2, 3, 10, 25, 25], new[] { 1, 10, 11, 21, 100, 250, 1000 }.Select(TpeSearch.Gamma));
        // default_weights: ones below 25; from 25 on, a linspace(1/n, 1, n − 25) ramp then 25 ones
        Assert.Equal(Enumerable.Repeat(1.0, 24), TpeSearch.DefaultWeights(24));
        var w = TpeSearch.DefaultWeights(28); // numpy.linspace(1/28, 1, 3) = [0.0357142857, 0.5178571429, 1.0]
        Assert.Equal(1 / 28.0, w[0], 12);
        Assert.Equal(0.5178571428571428, w[1], 12);
        Assert.Equal(1.0, w[2], 12);
        Assert.All(w[3..], v => Assert.Equal(1.0, v));
        Assert.Equal(10, TpeSearch.StartupTrials);
        Assert.Equal(24, TpeSearch.EiCandidates);
    }

    [Fact]
    public void ParzenEstimatorForCategoricalsFollowsOptuna()
    {
        // 3 choices, observations [0, 0, 2]: 4 kernels (3 + prior), each row prior_weight/4 = 0.25 plus 1 at the observed
        // choice, normalised: [1.25, .25, .25]/1.75 twice, [.25, .25, 1.25]/1.75, prior [1/3, 1/3, 1/3]; mixture weights 1/4.
        var domain = TpeSearch.TpeDomain.For(Parameter.Values("a", "b", "c"));
        var estimator = new TpeSearch.ParzenEstimator(domain, [0, 0, 2]);
        var pA = 0.25 * (1.25 / 1.75 * 2 + 0.25 / 1.75 + 1 / 3.0);
        var pB = 0.25 * (0.25 / 1.75 * 3 + 1 / 3.0);
        Assert.Equal(Math.Log(pA), estimator.LogPdf(0), 12);
        Assert.Equal(Math.Log(pB), estimator.LogPdf(1), 12);
    }

    // Reference: reference/truncated_normal.py (scipy.stats.truncnorm, scipy.special.log_ndtr).
    [Theory]
    [InlineData(0.3, 0.5, 0.2, 0.0, 1.0, 0.20299647429333256)]
    [InlineData(2.0, -1.0, 0.5, -3.0, 4.0, -18.22575968090135)]
    [InlineData(0.99, 0.1, 0.05, 0.0, 1.0, -156.32019335032174)]
    public void TruncatedNormalMatchesScipy(double x, double mu, double sigma, double low, double high, double expected) =>
        Assert.Equal(expected, TruncatedNormal.LogPdf(x, mu, sigma, low, high), 9);

    [Theory]
    [InlineData(-1.0, 2.0, -0.20016629432446248)]
    [InlineData(3.0, 5.0, -6.607938594596893)]
    [InlineData(-40.0, -38.0, -726.5572160188201)]
    [InlineData(25.0, 26.0, -316.6394080080284)]
    public void GaussMassIsAccurateInTheTails(double a, double b, double expected) =>
        Assert.Equal(expected, TruncatedNormal.LogGaussMass(a, b), 6);

    [Fact]
    public void TruncatedNormalDrawsStayInsideAndFollowTheDistribution()
    {
        var random = new MathNet.Numerics.Random.MersenneTwister(9, threadSafe: false);
        var draws = Enumerable.Range(0, 3000).Select(_ => TruncatedNormal.Sample(0.9, 0.3, 0, 1, random)).ToArray();
        Assert.All(draws, d => Assert.InRange(d, 0, 1));
        var norm = MathNet.Numerics.Distributions.Normal.CDF(0.9, 0.3, 1) - MathNet.Numerics.Distributions.Normal.CDF(0.9, 0.3, 0);
        var (_, p) = DistributionTests.Ks(draws, x => (MathNet.Numerics.Distributions.Normal.CDF(0.9, 0.3, x) - MathNet.Numerics.Distributions.Normal.CDF(0.9, 0.3, 0)) / norm);
        Assert.True(p > 0.01, $"p = {p}");
    }

    [Fact]
    public void TpeIsRandomForItsFirstTenResultsThenModelBased()
    {
        var config = Config(SearchMethod.Tpe, new() { ["x"] = Parameter.Uniform(-5, 10), ["y"] = Parameter.Uniform(0, 15) });
        var sweeper = new Sweeper(config, seed: 2);
        var runs = Run(sweeper, c => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y")), 9);
        Assert.StartsWith("random", sweeper.Suggest(runs)!.Note);
        runs = Run(sweeper, c => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y")), 10);
        Assert.StartsWith("tpe", sweeper.Suggest(runs)!.Note);
    }

    [Fact]
    public void TpeLearnsAConditionalParameterOnlyFromRunsWhereItExists()
    {
        // momentum exists for sgd only; its best values are near 0.9. Runs with adam carry no momentum and must not break TPE.
        var config = Config(SearchMethod.Tpe, new()
        {
            ["optimizer"] = Parameter.Values("sgd", "adam"),
            ["momentum"] = Parameter.Uniform(0, 1).When("optimizer", "sgd"),
        });
        var sweeper = new Sweeper(config, seed: 21);
        var runs = Run(sweeper, c => (string)c["optimizer"]! == "sgd" ? Math.Abs(c.Get<double>("momentum") - 0.9) : 0.5, 60);
        var late = runs.Skip(30).Where(r => r.Config.ContainsKey("momentum")).Select(r => r.Config.Get<double>("momentum")).ToList();
        Assert.NotEmpty(late);
        Assert.True(late.Average(m => Math.Abs(m - 0.9)) < 0.15, $"mean distance {late.Average(m => Math.Abs(m - 0.9))}");
        Assert.All(runs, r => Assert.Equal((string)r.Config["optimizer"]! == "sgd", r.Config.ContainsKey("momentum")));
    }

    [Theory]
    [InlineData(SearchMethod.Bayes, "bayes")]
    [InlineData(SearchMethod.Tpe, "tpe")]
    public void WarmStartResultsAreUsedFromTheFirstSuggestion(SearchMethod method, string note)
    {
        var config = Config(method, new() { ["x"] = Parameter.Uniform(-5, 10), ["y"] = Parameter.Uniform(0, 15) });
        var earlier = Run(new Sweeper(config, seed: 99), c => TestFunction.BraninAt(c.Get<double>("x"), c.Get<double>("y")), 12);
        // One earlier run does not fit this space (x out of range) and one has another parameter set: both are ignored.
        earlier.Add(SweepRun.Finished(new ParameterValues([new("x", 50.0), new("y", 1.0)]), -100));
        earlier.Add(SweepRun.Finished(new ParameterValues([new("z", 1.0)]), -100));
        var sweeper = new Sweeper(config, seed: 1, warmStart: earlier);
        var first = sweeper.Suggest([])!;
        Assert.StartsWith(note, first.Note);
        Assert.Null(sweeper.Completion([])); // warm-start results do not count towards run_cap or target
    }

    [Fact]
    public void SuggestIsAPureFunctionOfItsInputs()
    {
        var config = Config(SearchMethod.Tpe, new() { ["x"] = Parameter.Uniform(0, 1), ["k"] = Parameter.Values(1, 2, 3) });
        var runs = Run(new Sweeper(config, seed: 5), c => c.Get<double>("x"), 15);
        var sweeper = new Sweeper(config, seed: 5);
        Assert.Equal(sweeper.Suggest(runs)!.Config, sweeper.Suggest(runs)!.Config);
        Assert.Equal(sweeper.Suggest(runs)!.Config, new Sweeper(config, seed: 5).Suggest(runs.ToList())!.Config);
        Assert.NotEqual(sweeper.Suggest(runs)!.Config, new Sweeper(config, seed: 6).Suggest(runs)!.Config);
    }
}
